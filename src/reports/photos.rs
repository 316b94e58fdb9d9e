//! A report's photos as stored: an uploaded JPEG or PNG, checked by its content (not its name),
//! its size read from the header before any pixel is decoded, turned upright by its EXIF
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    Missing,
    TooLarge,
    NotAnImage,
    TooManyPixels,
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

/// Checks and converts an upload. CPU-bound: run it off the async workers.
pub fn process(bytes: &[u8]) -> Result<Processed, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Missing);
    }
    if bytes.len() > MAX_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| PhotoError::Unreadable)?;
    if !matches!(reader.format(), Some(ImageFormat::Jpeg | ImageFormat::Png)) {
        return Err(PhotoError::NotAnImage);
    }
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    decoder.set_limits(limits).map_err(|_| PhotoError::TooManyPixels)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
    img.apply_orientation(orientation);
    if img.width() > WEB_EDGE || img.height() > WEB_EDGE {
        img = img.resize(WEB_EDGE, WEB_EDGE, image::imageops::FilterType::Triangle);
    }
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
