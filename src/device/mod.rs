//! Transistor models, in phases: a model card as read ([`card`]) is validated into a
//! [`ModelCard`]; the card at a temperature and geometry becomes a [`Transistor`]; a
//! transistor evaluated at a bias point gives an [`OperatingPoint`] (currents, carrier fluxes,
//! shot noise, conductances). Each phase is testable alone.

pub mod card;
pub mod ekv;

pub use card::{CardError, Interpolation, ModelCard, PinchOff, Polarity, load_card, parse_card};
pub use ekv::{DeviceCapacitances, Geometry, OperatingPoint, Terminals, Transistor, TransistorParameters};
