//! A report's photos as stored: an uploaded JPEG or PNG, checked by its content (not its name),
//! its size and the memory its pixels take read from the header before any pixel is decoded,
//! decoded within a budget shared by every upload of the process, turned upright by its EXIF
//! orientation, and re-encoded as a JPEG for the web with a thumbnail. Re-encoding keeps no
//! metadata: camera, time and GPS position are gone.
use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder, metadata::Orientation,
};

/// Largest upload.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Largest image, in pixels, refused from its header before decoding (a small file can claim a
/// huge canvas).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest edge of the web copy, and the thumbnail's box.
const WEB_EDGE: u32 = 1600;
const THUMB: (u32, u32) = (480, 360);
/// Photos per report.
pub const MAX_PER_REPORT: u64 = 20;
/// Memory the decoded pixels of one photo may take (width × height × bytes per pixel, from the
/// header): a 40-megapixel camera JPEG takes 120 MB; a 16-bit PNG of the same size would take
/// twice that from a file of a few hundred kB.
pub const MAX_DECODED_BYTES: u64 = 200 * MIB;
/// Memory all photos being decoded at once may take, in MiB: uploads wait their turn for it.
const DECODE_BUDGET_MIB: u32 = 200;
const MIB: u64 = 1024 * 1024;

static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODE_BUDGET_MIB as usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    Missing,
    TooLarge,
    NotAnImage,
    TooManyPixels,
    /// Under the pixel limit, but too many bytes per pixel (16-bit channels).
    TooDeep,
    Unreadable,
    TooMany,
}

impl PhotoError {
    pub fn key(self) -> &'static str {
        match self {
            PhotoError::Missing => "report.photo_missing",
            PhotoError::TooLarge => "report.photo_too_large",
            PhotoError::NotAnImage => "report.photo_not_image",
            PhotoError::TooManyPixels => "report.photo_too_many_pixels",
            PhotoError::TooDeep => "report.photo_too_deep",
            PhotoError::Unreadable => "report.photo_unreadable",
            PhotoError::TooMany => "report.photo_too_many",
        }
    }
}

/// A photo ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub image: Vec<u8>,
    pub thumb: Vec<u8>,
}

/// Checks and converts an upload: reads its header, waits for its share of the decoding budget,
/// and decodes it off the async workers.
pub async fn prepare(bytes: Vec<u8>) -> Result<Processed, PhotoError> {
    let (format, decoded) = inspect(&bytes)?;
    // Measured (bench/hostile): decoding a JPEG takes about twice its pixels' bytes at its peak
    // (the decoder's own buffers besides the image), a PNG about its pixels' bytes.
    let cost = if format == ImageFormat::Jpeg { decoded.saturating_mul(2) } else { decoded };
    let mib = u32::try_from(cost.div_ceil(MIB)).unwrap_or(u32::MAX).clamp(1, DECODE_BUDGET_MIB);
    // Never closed: acquiring only waits.
    let _permit = DECODING.acquire_many(mib).await.map_err(|_| PhotoError::Unreadable)?;
    tokio::task::spawn_blocking(move || process(&bytes)).await.unwrap_or(Err(PhotoError::Unreadable))
}

/// What an upload's header says, before any pixel is decoded: its format and the bytes its pixels
/// will take.
pub fn inspect(bytes: &[u8]) -> Result<(ImageFormat, u64), PhotoError> {
    header(bytes).map(|(_, format, decoded)| (format, decoded))
}

fn header(bytes: &[u8]) -> Result<(Box<dyn ImageDecoder + '_>, ImageFormat, u64), PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Missing);
    }
    if bytes.len() > MAX_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| PhotoError::Unreadable)?;
    let Some(format @ (ImageFormat::Jpeg | ImageFormat::Png)) = reader.format() else {
        return Err(PhotoError::NotAnImage);
    };
    // A JPEG cut short decodes as far as it goes and grey after: its last scan must be ended.
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(PhotoError::Unreadable);
    }
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels);
    }
    let decoded = decoder.total_bytes();
    if decoded > MAX_DECODED_BYTES {
        return Err(PhotoError::TooDeep);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    decoder.set_limits(limits).map_err(|_| PhotoError::TooManyPixels)?;
    Ok((Box::new(decoder), format, decoded))
}

/// Whether a JPEG's last start-of-scan marker (FF DA) is followed by an end-of-image marker
/// (FF D9). Inside the compressed data an FF byte is always followed by 00 or a restart marker,
/// so neither pair occurs there by chance; an EXIF thumbnail, which has both, comes before the
/// image's own scans.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    matches!((last(0xDA), last(0xD9)), (Some(scan), Some(end)) if end > scan)
}

/// Decodes and converts an upload. CPU-bound and as large as its pixels: reached through
/// [`prepare`], which budgets it; tests call it directly.
pub fn process(bytes: &[u8]) -> Result<Processed, PhotoError> {
    let (mut decoder, _, _) = header(bytes)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
    // Smaller first, then upright: turning the full-size image would copy all of it again.
    if img.width() > WEB_EDGE || img.height() > WEB_EDGE {
        img = img.resize(WEB_EDGE, WEB_EDGE, image::imageops::FilterType::Triangle);
    }
    img.apply_orientation(orientation);
    let web = DynamicImage::ImageRgb8(img.to_rgb8());
    let thumb = web.thumbnail(THUMB.0, THUMB.1);
    Ok(Processed { width: web.width(), height: web.height(), image: jpeg(&web, 82)?, thumb: jpeg(&thumb, 75)? })
}

fn jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality)).map_err(|_| PhotoError::Unreadable)?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 10, 20])));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn a_large_png_becomes_a_web_jpeg_and_a_thumbnail() {
        let p = process(&png(2000, 1000)).unwrap();
        assert_eq!((p.width, p.height), (1600, 800));
        assert!(p.image.starts_with(&[0xFF, 0xD8]) && p.thumb.starts_with(&[0xFF, 0xD8]));
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
    }

    #[test]
    fn what_is_not_a_jpeg_or_png_is_refused() {
        assert_eq!(process(b"").unwrap_err(), PhotoError::Missing);
        assert_eq!(process(b"%PDF-1.4 not a photo").unwrap_err(), PhotoError::NotAnImage);
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(process(gif).unwrap_err(), PhotoError::NotAnImage);
        // A PNG signature followed by rubbish.
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert_eq!(process(&broken).unwrap_err(), PhotoError::Unreadable);
        assert_eq!(process(&vec![0u8; MAX_BYTES + 1]).unwrap_err(), PhotoError::TooLarge);
    }

    #[test]
    fn a_huge_canvas_is_refused_before_decoding() {
        // A PNG header claiming 20,000 × 20,000 pixels, and nothing else.
        let mut header = png(1, 1);
        header[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        header[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&header[12..29]);
        header[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(process(&header).unwrap_err(), PhotoError::TooManyPixels);
    }

    /// A PNG header claiming `w` × `h` pixels of `depth` bits per channel and colour `colour`.
    fn forged(w: u32, h: u32, depth: u8, colour: u8) -> Vec<u8> {
        let mut header = png(1, 1);
        header[16..20].copy_from_slice(&w.to_be_bytes());
        header[20..24].copy_from_slice(&h.to_be_bytes());
        header[24] = depth;
        header[25] = colour;
        let crc = crc32(&header[12..29]);
        header[29..33].copy_from_slice(&crc.to_be_bytes());
        header
    }

    #[test]
    fn deep_pixels_are_refused_by_the_memory_they_would_take() {
        // 6,324 × 6,324 is under the pixel limit, but at 16 bits per channel it takes 240 MB.
        const { assert!(6324u64 * 6324 < MAX_PIXELS) };
        assert_eq!(inspect(&forged(6324, 6324, 16, 2)).unwrap_err(), PhotoError::TooDeep);
        assert_eq!(process(&forged(6324, 6324, 16, 6)).unwrap_err(), PhotoError::TooDeep);
        // The same canvas at 8 bits is read as 120 MB, within the budget.
        assert_eq!(inspect(&forged(6324, 6324, 8, 2)), Ok((ImageFormat::Png, 6324 * 6324 * 3)));
    }

    #[tokio::test]
    async fn a_jpeg_cut_short_is_refused_and_a_whole_one_taken() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(400, 300, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        }));
        let whole = jpeg(&img, 90).unwrap();
        assert_eq!(prepare(whole.clone()).await.map(|p| (p.width, p.height)), Ok((400, 300)));
        let mut cut = whole.clone();
        cut.truncate(whole.len() * 6 / 10);
        assert_eq!(process(&cut).unwrap_err(), PhotoError::Unreadable);
        // Trailing bytes after the end marker (some cameras pad) are fine.
        let mut padded = whole;
        padded.extend_from_slice(&[0; 64]);
        assert!(process(&padded).is_ok());
    }

    /// The CRC of a PNG chunk (ISO 3309), to forge a valid header.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
