//! Transistor models, in phases: a model card as read ([`card`]) is validated into a
//! [`ModelCard`]; the card at a temperature and geometry becomes a [`Transistor`]; a
//! transistor evaluated at a bias point gives an [`OperatingPoint`] (currents, carrier fluxes,
//! channel noise, conductances). Each phase is testable alone. [`noise`] is the channel-noise
//! law and its carrier-transfer form, [`capacitance`] the device capacitances, [`mismatch`]
//! the Pelgrom deviations of Monte Carlo samples, [`flicker`] the 1/f noise as traps.

pub mod capacitance;
pub mod card;
pub mod ekv;
pub mod flicker;
pub mod mismatch;
pub mod noise;

pub use capacitance::{CapacitanceOverrides, DeviceCapacitances};
pub use card::{CardError, Interpolation, ModelCard, PinchOff, Polarity, load_card, parse_card};
pub use ekv::{Geometry, OperatingPoint, Terminals, Transistor, TransistorParameters};
pub use flicker::{FlickerCard, Trap};
pub use mismatch::{Deviation, MismatchSample};
