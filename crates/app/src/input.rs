//! Refusals of what a caller typed, and the cursor of every page: shared by
//! the use cases, depending on none of them.

use crate::ShopError;

/// A 422 naming the field at fault.
pub(crate) fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> ShopError {
    ShopError::Invalid {
        code,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The longest reason staff or a client give for a change, a cancellation or
/// a return.
pub(crate) const MAX_REASON_CHARS: usize = 1000;

/// A reason as given (a cancellation's, a change's, a return's): 1 to 1,000
/// characters, line breaks but no other control characters; else 422
/// `invalid_reason` on `reason`, naming what it is the reason for.
pub(crate) fn reason(text: &str, what: &str) -> Result<String, ShopError> {
    let reason = text.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(invalid(
            "invalid_reason",
            "reason",
            format!("Give the reason for the {what}, in at most 1,000 characters."),
        ));
    }
    Ok(reason.to_owned())
}

/// Where a page starts: after the `(time, id)` its cursor names (none for
/// the first page); a cursor that `what` did not give is a 422.
pub(crate) fn page_after(
    cursor: Option<&str>,
    what: &str,
) -> Result<Option<(i64, String)>, ShopError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => parse_cursor(c).map(Some).ok_or_else(|| {
            invalid(
                "invalid_cursor",
                "cursor",
                format!("This cursor is not one the {what} gave: start again without it."),
            )
        }),
    }
}

fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once('_')?;
    let at = at.parse::<i64>().ok()?;
    let id_ok =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    id_ok.then(|| (at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_cursors_round_trip_and_refuse_garbage() {
        assert_eq!(
            parse_cursor("1700000000000000_0f8fad5b-d9cb-469f-a165-70867728950e"),
            Some((
                1_700_000_000_000_000,
                "0f8fad5b-d9cb-469f-a165-70867728950e".to_owned()
            ))
        );
        for bad in ["", "_", "abc_def", "12_", "12_x'; DROP TABLE orders", "12"] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }
}
