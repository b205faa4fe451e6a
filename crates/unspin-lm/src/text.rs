//! The tokenization shared by the estimator and every caller that scores text.

/// Splits `text` into sentences of normalised LM tokens (without `<s>`/`</s>`).
///
/// Tokens come from [`unspin_text::tokenize`] (words, numbers and punctuation are all LM
/// tokens), each normalised with [`unspin_text::normalize`]; a new sentence starts at every
/// token whose `sentence_start` is set. Scoring code must use exactly this function so that
/// its tokens match the ones the model was trained on.
pub fn lm_sentences(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for t in unspin_text::tokenize(text) {
        if t.sentence_start && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if let Some(s) = text.get(t.start..t.end) {
            cur.push(unspin_text::normalize(s));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_and_tokens() {
        let s = lm_sentences("The cat's 5.5 mats. A dog!\nNew para");
        assert_eq!(
            s,
            vec![
                vec!["the", "cat's", "5.5", "mats", "."],
                vec!["a", "dog", "!"],
                vec!["new", "para"]
            ]
        );
    }
}
