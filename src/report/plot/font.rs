//! The embedded font. plotters' `ab_glyph` backend draws text only with fonts registered at
//! run time; embedding DejaVu Sans (licence in `src/report/fonts/LICENSE-DejaVu.txt`) makes
//! text render identically everywhere, with no fontconfig or FreeType on the machine.

use super::PlotError;
use plotters::style::{FontStyle, register_font};
use std::sync::OnceLock;

/// DejaVu Sans 2.37, unmodified.
static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family name every plot asks for.
pub(crate) const FAMILY: &str = "sans-serif";

/// Register the embedded font under [`FAMILY`] once per process.
pub(crate) fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    // Bold and italic requests fall back to this regular face.
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font) }
}
