//! Lists as the test report writes them: in the failure messages that
//! `check` builds, and in the report's text (`format::testing`), so both
//! read alike: `[a, b]`, and `a, b` inside a sentence. (Numbers in them are
//! `base::number::trimmed`.)

/// `[a, b, c]`: actual and expected offers and segments.
pub(crate) fn list<T: AsRef<str>>(items: &[T]) -> String {
    format!("[{}]", join(items))
}

/// `a, b, c`.
pub(crate) fn join<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}
