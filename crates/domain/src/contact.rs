//! The client's contact details, as given at checkout.

use serde::Serialize;

/// An e-mail address, trimmed; the domain part lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ContactError {
    pub field: &'static str,
    pub message: String,
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, ContactError> {
        let bad = || ContactError {
            field: "email",
            message: "Enter an e-mail address such as name@example.com.".into(),
        };
        let text = text.trim();
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this address, by [`email_key`].
    pub fn matches(&self, other: &str) -> bool {
        email_key(&self.0) == email_key(other)
    }
}

/// The one way the maison compares e-mail addresses (accounts, staff, the
/// guest look-up, guest orders joining an account): trimmed and lower-cased,
/// whole. Mail servers may treat the local part's case as significant; no
/// client expects `Claire@` and `claire@` to be two people.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A person's name part: 1 to 80 printable characters.
pub fn name_part(field: &'static str, label: &str, text: &str) -> Result<String, ContactError> {
    let value = text.trim();
    if value.is_empty() {
        return Err(ContactError {
            field,
            message: format!("Enter your {label}."),
        });
    }
    if value.chars().count() > 80 || value.chars().any(char::is_control) {
        return Err(ContactError {
            field,
            message: format!("Enter your {label} in at most 80 characters."),
        });
    }
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A telephone number with 10 to 15 digits; `+`, spaces, dots, dashes and
/// parentheses are allowed around them.
pub fn phone(text: &str) -> Result<String, ContactError> {
    let value = text.trim();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if !(10..=15).contains(&digits) || !allowed || value.len() > 30 {
        return Err(ContactError {
            field: "phone",
            message:
                "Enter a telephone number where the carrier can reach you, such as 212-555-0147."
                    .into(),
        });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_checked_and_their_domain_lower_cased() {
        assert_eq!(
            Email::parse(" Claire.Dubois@Example.COM ").map(|e| e.0),
            Ok("Claire.Dubois@example.com".into())
        );
        for bad in [
            "",
            "claire",
            "claire@",
            "@example.com",
            "claire@example",
            "cl aire@example.com",
            "a@b@c.com",
            "claire@.com",
            "claire@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            Email::parse("claire@example.com")
                .expect("valid")
                .matches("CLAIRE@example.com")
        );
    }

    #[test]
    fn names_and_telephones_are_checked() {
        assert_eq!(
            name_part("first_name", "first name", "  Jean   Paul "),
            Ok("Jean Paul".into())
        );
        assert!(name_part("first_name", "first name", " ").is_err());
        assert!(name_part("last_name", "last name", &"x".repeat(81)).is_err());
        assert!(phone("+1 (212) 555-0147").is_ok());
        assert!(phone("555-0147").is_err());
        assert!(phone("call me").is_err());
    }
}
