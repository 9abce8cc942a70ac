//! A client's account and the addresses it keeps for checkout.

/// A client account. The password is kept only as its Argon2id PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub password_hash: String,
    pub created_at: i64,
}

/// An address kept in the account for checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAddress {
    pub id: String,
    pub label: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub company: Option<String>,
    pub created_at: i64,
}
