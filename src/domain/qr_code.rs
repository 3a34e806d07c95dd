//! QR codes drawn as PNG, with the `qrcode` crate's encoding and mask rules but a faster
//! choice of mask.
//!
//! A QR code is drawn eight times, once per mask pattern, and the one with the lowest
//! penalty score (ISO/IEC 18004, 7.8.3) is kept. `qrcode` scores each of the eight by
//! calling a boxed closure per module and direction, which made the QR code of a
//! confirmation email about 150 µs, a fifth of the service's CPU while it registered
//! and mailed confirmations (BENCHMARKS.md, session 24). Here the same rules score
//! the crate's own masked canvases from one flat array each: the same mask is chosen
//! (a test compares every module with the crate's for a thousand check-in codes and
//! longer texts), in about a third of the time; with the PNG, half.

use image::Luma;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::render::Renderer;
use qrcode::types::{Color, QrError};
use qrcode::EcLevel;

use crate::error::AppError;

/// Pixels per module.
const SCALE: u32 = 8;
/// Light modules around the code: the standard's 4 for a (non-micro) QR code.
const QUIET_ZONE: u32 = 4;

/// The eight patterns in the order `qrcode` tries them: on a tie the first one wins, as
/// there.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// `text` as a QR code (error correction M), black on white with its quiet zone, as PNG.
pub fn png(text: &str) -> Result<Vec<u8>, AppError> {
    let (modules, width) = modules(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR code of {} bytes: {e}", text.len())))?;
    let image = Renderer::<Luma<u8>>::new(&modules, width, QUIET_ZONE)
        .module_dimensions(SCALE, SCALE)
        .quiet_zone(true)
        .build();
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("PNG of a QR code: {e}")))?;
    Ok(png)
}

/// The modules of `data`'s QR code, row by row, and its width in modules: what
/// `qrcode::QrCode::with_error_correction_level` makes, by the same steps.
fn modules(data: &[u8], ec_level: EcLevel) -> Result<(Vec<Color>, usize), QrError> {
    let bits = qrcode::bits::encode_auto(data, ec_level)?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec_level)?;
    let mut canvas = Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = usize::try_from(version.width()).map_err(|_| QrError::InvalidVersion)?;
    let mut best: Option<(u32, Vec<Color>)> = None;
    let mut dark = Vec::with_capacity(width * width);
    for mask in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(mask);
        let modules = masked.into_colors();
        dark.clear();
        dark.extend(modules.iter().map(|m| *m == Color::Dark));
        let score = penalty(&dark, width);
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, modules));
        }
    }
    let (_, modules) = best.ok_or(QrError::InvalidVersion)?;
    Ok((modules, width))
}

/// The penalty score of a masked code (`dark`, row by row, `width` a side), by the rules
/// `qrcode` applies: runs of five or more, 2×2 blocks, finder-like patterns and the
/// balance of dark and light. The crate subtracts the real finder patterns' 360 points
/// from every mask's score alike; here they are left in, which orders masks the same.
fn penalty(dark: &[bool], width: usize) -> u32 {
    let mut score = 0;
    let mut column = vec![false; width];
    for i in 0..width {
        score += line_penalty(&dark[i * width..(i + 1) * width]);
        for (k, module) in column.iter_mut().enumerate() {
            *module = dark[k * width + i];
        }
        score += line_penalty(&column);
    }
    for y in 0..width.saturating_sub(1) {
        let (row, below) = (
            &dark[y * width..(y + 1) * width],
            &dark[(y + 1) * width..(y + 2) * width],
        );
        for x in 0..width - 1 {
            let m = row[x];
            if m == row[x + 1] && m == below[x] && m == below[x + 1] {
                score += 3;
            }
        }
    }
    let dark_modules = dark.iter().filter(|d| **d).count();
    // As the crate rounds it: per cent of dark modules, twice, against 100.
    let ratio = dark_modules * 200 / dark.len().max(1);
    score + u32::try_from(ratio.abs_diff(100)).unwrap_or(u32::MAX)
}

/// One row's or column's share: 3 + (n - 5) for each run of n >= 5 modules of one
/// colour, and 40 for each dark-light-dark-dark-dark-light-dark with four light modules
/// (or the edge) on at least one side.
fn line_penalty(line: &[bool]) -> u32 {
    let mut score = 0;
    let mut run = 1_u32;
    for k in 1..=line.len() {
        if k < line.len() && line[k] == line[k - 1] {
            run += 1;
            continue;
        }
        if run >= 5 {
            score += run - 2;
        }
        run = 1;
    }
    // The last seven modules read as bits, the newest lowest.
    const FINDER: u32 = 0b101_1101;
    let mut window = 0_u32;
    for (k, &module) in line.iter().enumerate() {
        window = ((window << 1) | u32::from(module)) & 0x7f;
        if k < 6 || window != FINDER {
            continue;
        }
        let start = k - 6;
        let dark_before = line[start.saturating_sub(4)..start].iter().any(|d| *d);
        let dark_after = line[k + 1..(k + 5).min(line.len())].iter().any(|d| *d);
        if !dark_before || !dark_after {
            score += 40;
        }
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::check_in::CheckInCode;

    #[test]
    fn the_same_modules_as_the_crate_for_check_in_codes_and_longer_texts() {
        let mut texts: Vec<String> = (0..1000)
            .map(|_| CheckInCode::generate().as_str().to_owned())
            .collect();
        // Other versions and encodings: hex codes of older rows, links, long text.
        texts.extend(["0123456789AB".to_owned(), "a".to_owned()]);
        texts.extend((1..=40).map(|n| format!("https://convene.example/m/{}", "x".repeat(n * 7))));
        for text in &texts {
            let theirs =
                qrcode::QrCode::with_error_correction_level(text, EcLevel::M).expect("a QR code");
            let (ours, width) = modules(text.as_bytes(), EcLevel::M).expect("a QR code");
            assert_eq!(width, theirs.width(), "{text}");
            assert_eq!(ours, theirs.to_colors(), "{text}");
        }
    }

    #[test]
    fn the_png_is_the_crates_drawing() {
        let code = CheckInCode::generate();
        let theirs = qrcode::QrCode::with_error_correction_level(code.as_str(), EcLevel::M)
            .expect("a QR code")
            .render::<Luma<u8>>()
            .module_dimensions(SCALE, SCALE)
            .quiet_zone(true)
            .build();
        let ours = image::load_from_memory_with_format(
            &png(code.as_str()).expect("a PNG"),
            image::ImageFormat::Png,
        )
        .expect("a PNG that decodes")
        .to_luma8();
        assert_eq!(ours.dimensions(), theirs.dimensions());
        assert_eq!(ours.as_raw(), theirs.as_raw());
    }

    #[test]
    fn too_much_for_any_version_is_an_error_not_a_panic() {
        assert!(png(&"x".repeat(5000)).is_err());
    }
}
