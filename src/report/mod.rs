//! Reports: plots and the HTML report that gathers them.
//!
//! [`plot`] is the one plotting layer every pbitsim plot goes through: a declarative
//! [`plot::Figure`] rendered to SVG or PNG with an embedded font, so plots look the same on
//! every machine and need no system font libraries.

pub mod plot;
