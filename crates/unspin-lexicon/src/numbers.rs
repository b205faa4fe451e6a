//! Number words ↔ digits: `two` ↔ `2`, `twenty-five` ↔ `25`, `first` ↔ `1st`.

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const ORD_ONES: [&str; 20] = [
    "zeroth",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const ORD_TENS: [&str; 10] = [
    "",
    "",
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];

/// The cardinal words of `n` for 0 ≤ n ≤ 100, hyphenated (`twenty-five`); `None` above 100.
pub fn cardinal(n: u32) -> Option<String> {
    match n {
        0..=19 => Some(ONES[n as usize].to_string()),
        20..=99 if n.is_multiple_of(10) => Some(TENS[(n / 10) as usize].to_string()),
        20..=99 => Some(format!(
            "{}-{}",
            TENS[(n / 10) as usize],
            ONES[(n % 10) as usize]
        )),
        100 => Some("hundred".to_string()),
        _ => None,
    }
}

/// The ordinal words of `n` for 1 ≤ n ≤ 99 (`twenty-first`).
pub fn ordinal(n: u32) -> Option<String> {
    match n {
        1..=19 => Some(ORD_ONES[n as usize].to_string()),
        20..=99 if n.is_multiple_of(10) => Some(ORD_TENS[(n / 10) as usize].to_string()),
        20..=99 => Some(format!(
            "{}-{}",
            TENS[(n / 10) as usize],
            ORD_ONES[(n % 10) as usize]
        )),
        _ => None,
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`, …
pub fn ordinal_digits(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// All (word form, digit form) pairs: cardinals 0–100 and ordinals 1–99. Hyphenated words
/// also appear with a space (`twenty five`), since a tokenizer splits at the hyphen.
pub fn pairs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in 0..=100u32 {
        if let Some(w) = cardinal(n) {
            if w.contains('-') {
                out.push((w.replace('-', " "), n.to_string()));
            }
            out.push((w, n.to_string()));
        }
        if let Some(w) = ordinal(n) {
            if w.contains('-') {
                out.push((w.replace('-', " "), ordinal_digits(n)));
            }
            out.push((w, ordinal_digits(n)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_digits() {
        assert_eq!(cardinal(2).as_deref(), Some("two"));
        assert_eq!(cardinal(25).as_deref(), Some("twenty-five"));
        assert_eq!(cardinal(40).as_deref(), Some("forty"));
        assert_eq!(cardinal(101), None);
        assert_eq!(ordinal(1).as_deref(), Some("first"));
        assert_eq!(ordinal(22).as_deref(), Some("twenty-second"));
        assert_eq!(ordinal_digits(1), "1st");
        assert_eq!(ordinal_digits(12), "12th");
        assert_eq!(ordinal_digits(23), "23rd");
        let p = pairs();
        assert!(p.contains(&("twenty five".into(), "25".into())));
        assert!(p.contains(&("first".into(), "1st".into())));
        // every digit form is unique per word form
        let mut words: Vec<&String> = p.iter().map(|x| &x.0).collect();
        words.sort();
        let n = words.len();
        words.dedup();
        assert_eq!(n, words.len());
    }
}
