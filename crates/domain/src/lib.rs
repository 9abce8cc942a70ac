//! The maison's rules as pure functions over typed values.
//!
//! Nothing here performs I/O, awaits, or knows about SQL or HTTP: every rule of
//! the "Orders & Payment" page that can be decided from values alone lives here,
//! so that it can be tested exhaustively.

pub mod account;
pub mod address;
pub mod audit;
pub mod bag;
pub mod boutique;
pub mod card;
pub mod cardholder;
pub mod catalog;
pub mod contact;
pub mod delivery;
pub mod fulfilment;
pub mod money;
pub mod order;
pub mod password;
pub mod payment;
pub mod personalisation;
pub mod policy;
pub mod quote;
pub mod receipt;
pub mod returns;
pub mod sku;
pub mod slug;
pub mod staff;
pub mod webhooks;

pub use money::{Currency, Money};
pub use sku::Sku;
pub use slug::Slug;
