//! The ZIP container of an `.xlsx` package, with each part deflated in independent pieces so
//! that pieces can be compressed on different threads.
//!
//! Every piece but a part's last ends on a sync flush (a byte-aligned, non-final block) and the
//! last one ends the stream, so the pieces laid end to end are one valid deflate stream. Their
//! CRC-32s combine into the part's. Entries carry a fixed 1980-01-01 time, so the archive's
//! bytes depend only on its contents. Parts or offsets past 4 GiB use ZIP64 records.

use flate2::{Compress, Compression, FlushCompress, Status};

/// Deflate level. The sheets are large and repetitive: the fastest level packs a large estate's
/// workbook in a third of the time of the default (6) for a file about a fifth larger.
const LEVEL: u32 = 1;
/// MS-DOS date of 1980-01-01, the earliest a ZIP entry can say.
const DOS_DATE: u16 = (1 << 5) | 1;
const U32_MAX: u64 = 0xFFFF_FFFF;

/// One piece of a part, deflated.
pub struct Piece {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
}

/// Deflates `input` as one piece of a part; `last` ends the part's stream.
pub fn deflate(input: &[u8], last: bool) -> Piece {
    let mut crc = crc32fast::Hasher::new();
    crc.update(input);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut z = Compress::new(Compression::new(LEVEL), false);
    // Deflate never grows data by more than a few bytes per 16 KiB block.
    let mut data = Vec::with_capacity(input.len() + input.len() / 64 + 64);
    loop {
        let consumed = z.total_in() as usize;
        // Compressing from memory into memory cannot fail: the stream is new and the input whole.
        let status = z
            .compress_vec(&input[consumed..], &mut data, flush)
            .unwrap_or(Status::BufError);
        let all_in = z.total_in() as usize == input.len();
        let flushed = if last {
            status == Status::StreamEnd
        } else {
            data.len() < data.capacity()
        };
        if all_in && flushed {
            break;
        }
        data.reserve(data.capacity().max(4096));
    }
    Piece { data, crc }
}

/// A named part and its pieces, in order; the last piece was deflated with `last`.
pub struct Entry {
    pub name: String,
    pub pieces: Vec<Piece>,
}

impl Entry {
    /// A small part, deflated whole.
    pub fn whole(name: impl Into<String>, content: &[u8]) -> Entry {
        Entry {
            name: name.into(),
            pieces: vec![deflate(content, true)],
        }
    }

    fn sizes(&self) -> (u32, u64, u64) {
        let mut crc = crc32fast::Hasher::new();
        let mut packed = 0;
        for piece in &self.pieces {
            crc.combine(&piece.crc);
            packed += piece.data.len() as u64;
        }
        let plain = crc.total_len();
        (crc.finalize(), plain, packed)
    }
}

/// The archive of `entries`, in order. `force_zip64` writes ZIP64 records even for small
/// entries (tests use it to check them without writing 4 GiB).
pub fn archive(entries: &[Entry], force_zip64: bool) -> Vec<u8> {
    let packed: usize = entries
        .iter()
        .flat_map(|e| &e.pieces)
        .map(|p| p.data.len())
        .sum();
    let mut out = Vec::with_capacity(packed + entries.len() * 128 + 256);
    let mut central = Vec::new();
    for entry in entries {
        let (crc, plain, size) = entry.sizes();
        let offset = out.len() as u64;
        let wide = force_zip64 || plain >= U32_MAX || size >= U32_MAX;
        let name = entry.name.as_bytes();
        // Local header.
        put32(&mut out, 0x0403_4b50);
        put16(&mut out, if wide { 45 } else { 20 });
        put16(&mut out, 0); // flags
        put16(&mut out, 8); // deflate
        put16(&mut out, 0); // time
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        if wide {
            put32(&mut out, U32_MAX as u32);
            put32(&mut out, U32_MAX as u32);
        } else {
            put32(&mut out, size as u32);
            put32(&mut out, plain as u32);
        }
        put16(&mut out, name.len() as u16);
        put16(&mut out, if wide { 20 } else { 0 });
        out.extend_from_slice(name);
        if wide {
            put16(&mut out, 1);
            put16(&mut out, 16);
            put64(&mut out, plain);
            put64(&mut out, size);
        }
        for piece in &entry.pieces {
            out.extend_from_slice(&piece.data);
        }
        // Its central directory record.
        let wide = wide || offset >= U32_MAX;
        put32(&mut central, 0x0201_4b50);
        put16(&mut central, if wide { 45 } else { 20 }); // made by
        put16(&mut central, if wide { 45 } else { 20 }); // needed
        put16(&mut central, 0);
        put16(&mut central, 8);
        put16(&mut central, 0);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        for value in [size, plain] {
            put32(
                &mut central,
                if wide { U32_MAX as u32 } else { value as u32 },
            );
        }
        put16(&mut central, name.len() as u16);
        put16(&mut central, if wide { 28 } else { 0 });
        put16(&mut central, 0); // comment
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0); // external attributes
        put32(
            &mut central,
            if wide { U32_MAX as u32 } else { offset as u32 },
        );
        central.extend_from_slice(name);
        if wide {
            put16(&mut central, 1);
            put16(&mut central, 24);
            put64(&mut central, plain);
            put64(&mut central, size);
            put64(&mut central, offset);
        }
    }
    let (start, length, count) = (out.len() as u64, central.len() as u64, entries.len() as u64);
    out.extend_from_slice(&central);
    let wide = force_zip64 || start >= U32_MAX || length >= U32_MAX || count >= 0xFFFF;
    if wide {
        let record = out.len() as u64;
        put32(&mut out, 0x0606_4b50);
        put64(&mut out, 44);
        put16(&mut out, 45);
        put16(&mut out, 45);
        put32(&mut out, 0);
        put32(&mut out, 0);
        put64(&mut out, count);
        put64(&mut out, count);
        put64(&mut out, length);
        put64(&mut out, start);
        // Locator.
        put32(&mut out, 0x0706_4b50);
        put32(&mut out, 0);
        put64(&mut out, record);
        put32(&mut out, 1);
    }
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    let short_count = if wide { 0xFFFF } else { count as u16 };
    put16(&mut out, short_count);
    put16(&mut out, short_count);
    put32(&mut out, if wide { U32_MAX as u32 } else { length as u32 });
    put32(&mut out, if wide { U32_MAX as u32 } else { start as u32 });
    put16(&mut out, 0);
    out
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        let mut zip = ::zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).unwrap();
                let mut content = Vec::new();
                file.read_to_end(&mut content).unwrap();
                (file.name().unwrap().to_string(), content)
            })
            .collect()
    }

    fn sample() -> (Vec<u8>, Vec<Entry>) {
        let big: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("<row r=\"{i}\">{}</row>", i % 97).into_bytes())
            .collect();
        let thirds: Vec<&[u8]> = big.chunks(big.len() / 3 + 1).collect();
        let pieces = thirds
            .iter()
            .enumerate()
            .map(|(i, c)| deflate(c, i + 1 == thirds.len()))
            .collect();
        let entries = vec![
            Entry::whole("[Content_Types].xml", b"<Types/>"),
            Entry::whole("empty.xml", b""),
            Entry {
                name: "xl/worksheets/sheet1.xml".into(),
                pieces,
            },
        ];
        (big, entries)
    }

    #[test]
    fn pieces_deflated_apart_read_back_as_one_part() {
        let (big, entries) = sample();
        let bytes = archive(&entries, false);
        assert!(bytes.len() < big.len() / 3, "{} bytes", bytes.len());
        let parts = read_back(bytes);
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "empty.xml",
                "xl/worksheets/sheet1.xml"
            ]
        );
        assert_eq!(parts[0].1, b"<Types/>");
        assert!(parts[1].1.is_empty());
        assert_eq!(parts[2].1, big);
    }

    #[test]
    fn zip64_records_read_back_too() {
        let (big, entries) = sample();
        let small = archive(&entries, false);
        let wide = archive(&entries, true);
        assert!(wide.len() > small.len());
        let parts = read_back(wide);
        assert_eq!(parts[2].1, big);
    }

    #[test]
    fn the_same_content_gives_the_same_bytes() {
        assert_eq!(archive(&sample().1, false), archive(&sample().1, false));
    }
}
