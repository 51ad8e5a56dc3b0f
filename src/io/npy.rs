//! NumPy `.npy` files (format version 1.0, little-endian), streamed row by row or whole.
//!
//! Layout: the magic `\x93NUMPY`, version bytes `1 0`, a little-endian `u16` header length,
//! then an ASCII dict such as `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`
//! padded with spaces and ended by `\n` so that the data starts at a multiple of 64 bytes,
//! then the data in C order. [`NpyWriter`] does not know the row count in advance: it
//! reserves a header wide enough for any `u64` row count and rewrites it, at the same
//! length, when finished. `numpy.load("samples.npy")` returns a `rows x cols` array.
//!
//! A writer made with [`NpyWriter::create_named`] writes a structured array instead: one
//! record per row whose fields are the named columns (`descr` is
//! `[('time_s', '<f8'), ('v(out)', '<f8'), ...]`, shape `(rows,)`), so the file names its own
//! columns: `a = numpy.load("trace.npy"); a["time_s"]`. The bytes of the data are the same
//! as for the plain table. A header longer than format 1.0 allows (64 KiB, some thousands
//! of columns) is written in format 2.0 (a `u32` header length), as NumPy does.

use super::{AtomicFile, IoError, TraceSink};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8] = b"\x93NUMPY";
/// Bytes before the header dict in format 1.0: magic, version, u16 header length.
const PREAMBLE: usize = MAGIC.len() + 2 + 2;
/// The same in format 2.0 (u32 header length).
const PREAMBLE_V2: usize = MAGIC.len() + 2 + 4;
/// NumPy aligns the start of the data to this many bytes.
const ALIGN: usize = 64;
/// NumPy's limit on array dimensions (`NPY_MAXDIMS` is 32 before NumPy 2, 64 after); it
/// also keeps the header far below the `u16` length of format 1.0.
const MAX_DIMS: usize = 32;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
    impl Sealed for u8 {}
}

/// An element type with a fixed NumPy dtype: `f64` (`<f8`), `f32` (`<f4`), `u8` (`|u1`).
pub trait NpyElement: Copy + sealed::Sealed {
    /// The NumPy dtype string written in the header.
    const DESCR: &'static str;
    /// Append the little-endian bytes of `values` to `out`.
    fn extend_le(values: &[Self], out: &mut Vec<u8>);
}

impl NpyElement for f64 {
    const DESCR: &'static str = "<f8";
    fn extend_le(values: &[Self], out: &mut Vec<u8>) {
        out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
}

impl NpyElement for f32 {
    const DESCR: &'static str = "<f4";
    fn extend_le(values: &[Self], out: &mut Vec<u8>) {
        out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
}

impl NpyElement for u8 {
    const DESCR: &'static str = "|u1";
    fn extend_le(values: &[Self], out: &mut Vec<u8>) {
        out.extend_from_slice(values);
    }
}

/// The shape as a Python tuple: `()`, `(5,)`, `(3, 4)`.
fn shape_tuple(shape: &[u64]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The `descr` of a plain element type, quoted: `'<f8'`.
fn plain_descr(descr: &str) -> String {
    format!("'{descr}'")
}

/// The `descr` of a record of named fields of one type: `[('time_s', '<f8'), ...]`. Names
/// are Python string literals (quotes and backslashes escaped).
fn record_descr(names: &[String], descr: &str) -> String {
    let fields: Vec<String> = names
        .iter()
        .map(|n| format!("('{}', '{descr}')", n.replace('\\', "\\\\").replace('\'', "\\'")))
        .collect();
    format!("[{}]", fields.join(", "))
}

/// The complete header (preamble, dict, padding, newline) padded to at least `min_len`
/// bytes and to a multiple of [`ALIGN`]; `descr` is already quoted (a string or a list).
/// Format 1.0 unless the header needs more than a `u16` length, then 2.0.
fn header(descr: &str, shape: &[u64], min_len: usize) -> Vec<u8> {
    let dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': {}, }}", shape_tuple(shape));
    let v1_total = (PREAMBLE + dict.len() + 1).max(min_len).div_ceil(ALIGN) * ALIGN;
    let version_2 = v1_total - PREAMBLE > u16::MAX as usize;
    let preamble = if version_2 { PREAMBLE_V2 } else { PREAMBLE };
    let total = (preamble + dict.len() + 1).max(min_len).div_ceil(ALIGN) * ALIGN;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    if version_2 {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&((total - preamble) as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&((total - preamble) as u16).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// A 2-D C-order array `[rows, cols]` written one row at a time; the row count is patched
/// into the header by [`finish`](NpyWriter::finish), which also commits the file atomically.
#[derive(Debug)]
pub struct NpyWriter<T: NpyElement> {
    file: AtomicFile,
    /// The quoted `descr`: the element type, or a record of named fields.
    descr: String,
    /// True for a structured array (shape `(rows,)`), false for a table (`(rows, cols)`).
    named: bool,
    columns: usize,
    rows: u64,
    header_len: usize,
    bytes: Vec<u8>,
    _element: std::marker::PhantomData<T>,
}

impl<T: NpyElement> NpyWriter<T> {
    /// Start an array with `columns` columns (at least one) at `path`.
    pub fn create(path: impl AsRef<Path>, columns: usize) -> Result<Self, IoError> {
        Self::start(path.as_ref(), plain_descr(T::DESCR), false, columns)
    }

    /// Start a structured array whose records have one field per name (at least one).
    pub fn create_named<S: AsRef<str>>(path: impl AsRef<Path>, names: &[S]) -> Result<Self, IoError> {
        let names: Vec<String> = names.iter().map(|n| n.as_ref().to_string()).collect();
        Self::start(path.as_ref(), record_descr(&names, T::DESCR), true, names.len())
    }

    fn start(path: &Path, descr: String, named: bool, columns: usize) -> Result<Self, IoError> {
        if columns == 0 {
            return Err(IoError::NoColumns { path: path.to_path_buf() });
        }
        let shape = |rows: u64| if named { vec![rows] } else { vec![rows, columns as u64] };
        // Sized for the widest possible row count, so the final patch fits exactly.
        let header_len = header(&descr, &shape(u64::MAX), 0).len();
        let mut file = AtomicFile::create(path)?;
        file.write_all(&header(&descr, &shape(0), header_len)).map_err(|e| file.error("write", e))?;
        Ok(NpyWriter {
            file,
            descr,
            named,
            columns,
            rows: 0,
            header_len,
            bytes: Vec::new(),
            _element: std::marker::PhantomData,
        })
    }

    /// Append one row; it must have exactly `columns` values.
    pub fn write_row(&mut self, row: &[T]) -> Result<(), IoError> {
        if row.len() != self.columns {
            return Err(IoError::RowLength {
                path: self.file.target().to_path_buf(),
                row: self.rows,
                expected: self.columns,
                found: row.len(),
            });
        }
        self.bytes.clear();
        T::extend_le(row, &mut self.bytes);
        let file = &mut self.file;
        file.write_all(&self.bytes).map_err(|e| file.error("write", e))?;
        self.rows += 1;
        Ok(())
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Number of rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The final file name.
    pub fn path(&self) -> &Path {
        self.file.target()
    }

    /// Write the final shape into the header and rename onto the final name.
    pub fn finish(mut self) -> Result<(), IoError> {
        let shape = if self.named { vec![self.rows] } else { vec![self.rows, self.columns as u64] };
        let patched = header(&self.descr, &shape, self.header_len);
        debug_assert_eq!(patched.len(), self.header_len);
        let file = &mut self.file;
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.write_all(&patched))
            .map_err(|e| file.error("write the header of", e))?;
        self.file.commit()
    }
}

impl TraceSink for NpyWriter<f64> {
    fn columns(&self) -> usize {
        self.columns
    }

    fn rows(&self) -> u64 {
        self.rows
    }

    fn write_row(&mut self, row: &[f64]) -> Result<(), IoError> {
        NpyWriter::write_row(self, row)
    }

    fn finish(self) -> Result<(), IoError> {
        NpyWriter::finish(self)
    }
}

/// Write a whole C-order array of any shape (`&[]` for a scalar, `&[n]` for a vector,
/// `&[rows, cols]` for a table, at most 32 dimensions) to `path` atomically. `data.len()`
/// must equal the product of the shape.
pub fn write_npy<T: NpyElement>(path: impl AsRef<Path>, shape: &[usize], data: &[T]) -> Result<(), IoError> {
    let path = path.as_ref();
    if shape.len() > MAX_DIMS {
        return Err(IoError::Dimensions { path: path.to_path_buf(), dims: shape.len(), max: MAX_DIMS });
    }
    let expected = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n)).unwrap_or(usize::MAX);
    if expected != data.len() {
        return Err(IoError::Shape {
            path: path.to_path_buf(),
            shape: shape.to_vec(),
            expected,
            found: data.len(),
        });
    }
    let dims: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
    let mut bytes = header(&plain_descr(T::DESCR), &dims, 0);
    bytes.reserve(std::mem::size_of_val(data));
    T::extend_le(data, &mut bytes);
    let mut file = AtomicFile::create(path)?;
    file.write_all(&bytes).map_err(|e| file.error("write", e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_newline_terminated() {
        for shape in [vec![], vec![7], vec![3, 4], vec![u64::MAX, u64::MAX]] {
            let h = header("'<f8'", &shape, 0);
            assert_eq!(h.len() % ALIGN, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
            let len = u16::from_le_bytes([h[8], h[9]]) as usize;
            assert_eq!(len + PREAMBLE, h.len());
        }
        assert_eq!(shape_tuple(&[]), "()");
        assert_eq!(shape_tuple(&[5]), "(5,)");
        assert_eq!(shape_tuple(&[3, 4]), "(3, 4)");
    }

    #[test]
    fn reserved_header_fits_any_row_count() {
        let reserved = header("'|u1'", &[u64::MAX, 1000], 0).len();
        assert_eq!(header("'|u1'", &[0, 1000], reserved).len(), reserved);
        assert_eq!(header("'|u1'", &[12345, 1000], reserved).len(), reserved);
    }

    #[test]
    fn named_columns_make_a_record_and_long_headers_use_format_2() {
        let names = vec!["time_s".to_string(), "v(x1.a)".to_string(), "it's".to_string()];
        let descr = record_descr(&names, "<f8");
        assert_eq!(descr, "[('time_s', '<f8'), ('v(x1.a)', '<f8'), ('it\\'s', '<f8')]");
        let h = header(&descr, &[9], 0);
        assert_eq!(&h[6..8], &[1, 0]);
        let many: Vec<String> = (0..5000).map(|i| format!("v(node_{i})")).collect();
        let h = header(&record_descr(&many, "<f8"), &[9], 0);
        assert_eq!(&h[6..8], &[2, 0]);
        let len = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
        assert_eq!(len + PREAMBLE_V2, h.len());
        assert_eq!(h.len() % ALIGN, 0);
    }
}
