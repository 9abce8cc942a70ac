//! The maison's staff (PRODUCT.md: Client Relations, fulfilment, administrators)
//! and their roles. What each role may do is decided in `app` (one table).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Client Relations: telephone orders, changes and cancellations.
    Ambassador,
    /// Client Relations for high jewellery: information requests and quotes.
    PrestigeAdvisor,
    /// Prepares, ships and hands over orders.
    Fulfilment,
    /// Everything, and the staff accounts and audit log.
    Admin,
}

impl StaffRole {
    pub const ALL: [StaffRole; 4] = [
        StaffRole::Ambassador,
        StaffRole::PrestigeAdvisor,
        StaffRole::Fulfilment,
        StaffRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Ambassador => "ambassador",
            StaffRole::PrestigeAdvisor => "prestige_advisor",
            StaffRole::Fulfilment => "fulfilment",
            StaffRole::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase().replace('-', "_");
        StaffRole::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in StaffRole::ALL {
            assert_eq!(StaffRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(
            StaffRole::parse("Prestige-Advisor"),
            Some(StaffRole::PrestigeAdvisor)
        );
        assert_eq!(StaffRole::parse("owner"), None);
    }
}
