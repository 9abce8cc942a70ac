//! Who is acting, and what each role may do: one table, checked in one place.
//! Handlers only turn a session or a bearer token into an [`Actor`].

use maison_domain::audit::AuditEvent;
use maison_domain::staff::StaffRole;

use crate::ShopError;
use crate::clock::new_id;

/// A staff member as a use case sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
}

/// Whoever asks a use case to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Guest,
    Client {
        account_id: String,
    },
    Staff(StaffMember),
    /// A background job or an operator's command, by name.
    System(&'static str),
}

/// What staff may do to orders and the maison. New staff features add their
/// actions here, and a row to [`allowed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ViewOrders,
    CancelOrder,
    ProcessOrder,
    /// Stock counts and the "temporarily unavailable" flag.
    ManageCatalogue,
    ViewAuditLog,
    ManageStaff,
    /// Telephone and boutique orders, and the receipts that pay them.
    PlaceAssistedOrder,
    RecordReceipt,
    /// The outbox: failed messages, retried.
    ManageOutbox,
    /// The information requests' queue (rule R16): read it.
    ViewInformationRequests,
    /// Assign an information request to an advisor, record its status.
    HandleInformationRequest,
    /// Issue a quote for a piece priced on request.
    IssueQuote,
    /// Its creations or delivery, before processing (rule R8).
    ChangeOrder,
    /// Ship an order in processing, or make it ready for pickup and hand it
    /// over at the boutique (rules R6, R7).
    Fulfil,
    /// Request a return for a client, authorise, refund or reject it
    /// (PRODUCT.md §2: Client Relations).
    HandleReturn,
    /// Receive a returned piece (its stock back, or not).
    ReceiveReturn,
    /// Integrators' webhook endpoints and their deliveries.
    ManageWebhooks,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::ViewOrders,
        Action::CancelOrder,
        Action::ProcessOrder,
        Action::ManageCatalogue,
        Action::ViewAuditLog,
        Action::ManageStaff,
        Action::PlaceAssistedOrder,
        Action::RecordReceipt,
        Action::ManageOutbox,
        Action::ChangeOrder,
        Action::ViewInformationRequests,
        Action::HandleInformationRequest,
        Action::IssueQuote,
        Action::Fulfil,
        Action::HandleReturn,
        Action::ReceiveReturn,
        Action::ManageWebhooks,
    ];
}

/// The permission table (action × role).
pub fn allowed(role: StaffRole, action: Action) -> bool {
    use Action::*;
    use StaffRole::*;
    match action {
        ViewOrders | ViewInformationRequests => true,
        // Rule R16: Client Relations work the queue; Prestige Advisors quote.
        HandleInformationRequest => matches!(role, Ambassador | PrestigeAdvisor | Admin),
        IssueQuote => matches!(role, PrestigeAdvisor | Admin),
        // Rule R8: only Client Relations change or cancel an order.
        CancelOrder | ChangeOrder | PlaceAssistedOrder | RecordReceipt | HandleReturn => {
            matches!(role, Ambassador | PrestigeAdvisor | Admin)
        }
        ProcessOrder | ManageCatalogue | Fulfil => matches!(role, Fulfilment | Admin),
        ReceiveReturn => matches!(role, Ambassador | PrestigeAdvisor | Fulfilment | Admin),
        ViewAuditLog | ManageStaff | ManageOutbox | ManageWebhooks => role == Admin,
    }
}

impl Actor {
    /// The client of the account `account_id`.
    pub fn client(account_id: &str) -> Self {
        Actor::Client {
            account_id: account_id.to_owned(),
        }
    }

    /// The client account acting, when a client is.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Actor::Client { account_id } => Some(account_id),
            _ => None,
        }
    }

    /// The actor may take `action`, or the refusal to answer: 401 for a
    /// caller without staff credentials, 403 for a role without the right
    /// (and for a client's session on a staff route).
    pub fn may(&self, action: Action) -> Result<&StaffMember, ShopError> {
        match self {
            Actor::Staff(member) if allowed(member.role, action) => Ok(member),
            Actor::Staff(_) | Actor::Client { .. } => Err(ShopError::Forbidden),
            Actor::System(_) | Actor::Guest => Err(ShopError::Unauthenticated),
        }
    }

    /// As [`Actor::may`], and operators' commands (the CLI, on the machine
    /// that holds the database) may too.
    pub fn may_operate(&self, action: Action) -> Result<(), ShopError> {
        match self {
            Actor::System(_) => Ok(()),
            other => other.may(action).map(|_| ()),
        }
    }

    /// How the timeline names the actor: `staff:claire@maison.example`,
    /// `client`, `guest`, `system:recovery`.
    pub fn timeline_name(&self) -> String {
        match self {
            Actor::Guest => "guest".into(),
            Actor::Client { .. } => "client".into(),
            Actor::Staff(member) => format!("staff:{}", member.email),
            Actor::System(job) => format!("system:{job}"),
        }
    }

    /// An audit event by this actor, at `at`.
    pub fn audit(
        &self,
        at: i64,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> AuditEvent {
        let (kind, email, role) = match self {
            Actor::Guest => ("guest", None, None),
            Actor::Client { .. } => ("client", None, None),
            Actor::Staff(m) => (
                "staff",
                Some(m.email.clone()),
                Some(m.role.as_str().to_owned()),
            ),
            Actor::System(job) => ("system", Some((*job).to_owned()), None),
        };
        AuditEvent {
            id: new_id(),
            at,
            actor_kind: kind.to_owned(),
            actor_email: email,
            actor_role: role,
            action: action.to_owned(),
            subject: subject.to_owned(),
            details: details.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: StaffRole) -> Actor {
        Actor::Staff(StaffMember {
            id: "s".into(),
            email: "s@maison.example".into(),
            name: "S".into(),
            role,
        })
    }

    #[test]
    fn the_permission_table_reads_as_the_maison_works() {
        use Action::*;
        use StaffRole::*;
        let expected = [
            (
                Ambassador,
                vec![
                    ViewInformationRequests,
                    HandleInformationRequest,
                    ViewOrders,
                    CancelOrder,
                    PlaceAssistedOrder,
                    RecordReceipt,
                    ChangeOrder,
                    HandleReturn,
                    ReceiveReturn,
                ],
            ),
            (
                PrestigeAdvisor,
                vec![
                    ViewInformationRequests,
                    HandleInformationRequest,
                    IssueQuote,
                    ViewOrders,
                    CancelOrder,
                    PlaceAssistedOrder,
                    RecordReceipt,
                    ChangeOrder,
                    HandleReturn,
                    ReceiveReturn,
                ],
            ),
            (
                Fulfilment,
                vec![
                    ViewOrders,
                    ProcessOrder,
                    ManageCatalogue,
                    ViewInformationRequests,
                    Fulfil,
                    ReceiveReturn,
                ],
            ),
            (Admin, Action::ALL.to_vec()),
        ];
        for (role, may) in expected {
            for action in Action::ALL {
                assert_eq!(
                    allowed(role, action),
                    may.contains(&action),
                    "{role:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn clients_are_forbidden_and_anonymous_callers_unauthenticated() {
        let client = Actor::Client {
            account_id: "a".into(),
        };
        assert!(matches!(
            client.may(Action::ViewOrders),
            Err(ShopError::Forbidden)
        ));
        assert!(matches!(
            Actor::Guest.may(Action::ViewOrders),
            Err(ShopError::Unauthenticated)
        ));
        assert!(matches!(
            staff(StaffRole::Fulfilment).may(Action::CancelOrder),
            Err(ShopError::Forbidden)
        ));
        assert!(
            staff(StaffRole::Fulfilment)
                .may(Action::ProcessOrder)
                .is_ok()
        );
    }
}
