//! Reading the numpy files pbitsim writes, for tests.

use std::path::Path;

/// A numpy file: the field names (structured arrays; empty otherwise), the element size and
/// the data. Only what the two files read here use: little-endian f8 fields, or u1.
pub fn read_npy(path: &Path) -> (Vec<String>, usize, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + len]).unwrap();
    let names: Vec<String> = if header.contains("'descr': [") {
        header.split("('").skip(1).map(|f| f[..f.find('\'').unwrap()].to_string()).collect()
    } else {
        Vec::new()
    };
    if names.is_empty() {
        assert!(header.contains("|u1"), "{header}");
    } else {
        assert_eq!(header.matches("'<f8'").count(), names.len(), "{header}");
    }
    (names, if header.contains("|u1") { 1 } else { 8 }, bytes[start + len..].to_vec())
}
