//! Evaluation: precision, recall and F1 of detection and restoration on a labelled set.
