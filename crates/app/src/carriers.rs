//! The carriers the maison ships with (rules R6, R7): the port of each, and
//! the secret each signs its webhooks with. The built-in simulator plays
//! both until real connectors plug in behind the same port.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use maison_carriers::{CarrierGateway, CarrierSimulator};
use maison_domain::delivery::Carrier;

use crate::Maison;

/// A carrier's webhook secret; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: String) -> Self {
        WebhookSecret(secret)
    }

    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The carriers, by name, and their webhook secrets.
#[derive(Clone)]
pub struct Carriers {
    gateways: HashMap<Carrier, Arc<dyn CarrierGateway>>,
    secrets: HashMap<Carrier, WebhookSecret>,
    simulator: Option<CarrierSimulator>,
}

impl fmt::Debug for Carriers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Carriers")
            .field("carriers", &self.gateways.keys().collect::<Vec<_>>())
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Carriers {
    /// FedEx and the secure courier, both played by `simulator`; no webhook
    /// secret yet (their webhooks are refused until one is set).
    pub fn simulated(simulator: CarrierSimulator) -> Self {
        let gateways = [Carrier::Fedex, Carrier::SecureCourier]
            .into_iter()
            .map(|c| (c, simulator.gateway(c)))
            .collect();
        Carriers {
            gateways,
            secrets: HashMap::new(),
            simulator: Some(simulator),
        }
    }

    /// Replaces a carrier's port (a real connector).
    pub fn with_gateway(mut self, gateway: Arc<dyn CarrierGateway>) -> Self {
        self.gateways.insert(gateway.carrier(), gateway);
        self
    }

    /// The secret `carrier` signs its webhooks with.
    pub fn with_webhook_secret(mut self, carrier: Carrier, secret: WebhookSecret) -> Self {
        self.secrets.insert(carrier, secret);
        self
    }

    pub fn gateway(&self, carrier: Carrier) -> Option<&Arc<dyn CarrierGateway>> {
        self.gateways.get(&carrier)
    }

    pub fn webhook_secret(&self, carrier: Carrier) -> Option<&WebhookSecret> {
        self.secrets.get(&carrier)
    }

    /// The simulator, when the carriers are simulated (tests, demos).
    pub fn simulator(&self) -> Option<&CarrierSimulator> {
        self.simulator.as_ref()
    }
}

impl Default for Carriers {
    fn default() -> Self {
        Carriers::simulated(CarrierSimulator::new())
    }
}

impl Maison {
    /// Replaces the carriers (at start-up, from the configuration).
    pub fn set_carriers(&mut self, carriers: Carriers) {
        self.carriers = carriers;
    }

    pub fn carriers(&self) -> &Carriers {
        &self.carriers
    }

    /// How clients read a carrier's name ("FedEx", "Secure courier").
    pub(crate) fn carrier_name(&self, carrier: Carrier) -> String {
        match carrier {
            Carrier::Fedex => self.policies.standard_carrier.clone(),
            Carrier::SecureCourier => self.policies.high_value_carrier.clone(),
            Carrier::Boutique => "the boutique".to_owned(),
        }
    }
}
