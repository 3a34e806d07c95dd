//! Printed documents for the day at the door: the badges ([`badges`]) and the sign-in
//! sheet ([`sign_in`]), as PDF. Made with krilla, with DejaVu Sans embedded (subset to
//! the glyphs used) so that names in Latin, Greek and Cyrillic print as written on any
//! printer. Rendering is CPU work: callers run it off the async threads (`db::run`).

pub mod badges;
pub mod sign_in;

use std::cmp::Ordering;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use crate::db::models::community::Community;
use crate::db::models::registration::Registration;
use crate::domain::invitation::InvitationKind;
use crate::error::AppError;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The sheet printed on: `?paper=a4|letter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

impl Paper {
    /// `a4` or `letter` (any case); absent is A4. Anything else is a 422 naming `paper`.
    pub fn parse(raw: Option<&str>) -> Result<Self, AppError> {
        match raw.map(|p| p.trim().to_ascii_lowercase()).as_deref() {
            None | Some("a4") => Ok(Self::A4),
            Some("letter") => Ok(Self::Letter),
            Some(_) => Err(AppError::invalid("paper", "must be a4 or letter")),
        }
    }

    /// Width and height in points (1/72 inch).
    pub fn size(self) -> (f32, f32) {
        match self {
            Self::A4 => (595.28, 841.89),
            Self::Letter => (612.0, 792.0),
        }
    }
}

/// A confirmed registrant as printed.
pub struct Attendee {
    pub full_name: String,
    pub title: String,
    pub organization: String,
    pub community: Community,
    pub young_leader: bool,
}

impl Attendee {
    pub fn of(r: Registration, community: Community) -> Self {
        Self {
            young_leader: r.kind == InvitationKind::YoungLeader,
            full_name: r.full_name,
            title: r.title,
            organization: r.organization,
            community,
        }
    }

    /// "Springfield, IL, US": the community as people say where they come from.
    pub fn place(&self) -> String {
        let c = &self.community;
        [c.name.as_str(), c.state.as_str(), c.country.as_str()]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The family name, for sorting: the last word of the name as written. Right for "given
/// family" names in any script; a name written family first sorts by its given name.
fn family_name(full_name: &str) -> String {
    full_name
        .split_whitespace()
        .next_back()
        .unwrap_or_default()
        .to_lowercase()
}

/// By family name, then the whole name, case-insensitively.
pub fn by_family_name(a: &Attendee, b: &Attendee) -> Ordering {
    family_name(&a.full_name)
        .cmp(&family_name(&b.full_name))
        .then_with(|| a.full_name.to_lowercase().cmp(&b.full_name.to_lowercase()))
}

/// The two weights of DejaVu Sans, for drawing and for measuring.
struct Fonts {
    regular: Face,
    bold: Face,
}

struct Face {
    pdf: Font,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn load(data: &'static [u8]) -> Result<Self, AppError> {
        let missing = || AppError::Internal(anyhow::anyhow!("the embedded font does not load"));
        Ok(Self {
            pdf: Font::new(data.to_vec().into(), 0).ok_or_else(missing)?,
            shaper: rustybuzz::Face::from_slice(data, 0).ok_or_else(missing)?,
        })
    }

    /// The width of `text` at `size` points, as krilla will lay it out (both shape it
    /// with rustybuzz).
    fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        let glyphs = rustybuzz::shape(&self.shaper, &[], buffer);
        let units: i32 = glyphs.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / self.shaper.units_per_em() as f32
    }
}

impl Fonts {
    fn load() -> Result<Self, AppError> {
        Ok(Self {
            regular: Face::load(REGULAR)?,
            bold: Face::load(BOLD)?,
        })
    }
}

/// One line of text to draw.
struct Line<'a> {
    text: &'a str,
    bold: bool,
    size: f32,
    color: rgb::Color,
}

impl<'a> Line<'a> {
    fn new(text: &'a str, size: f32) -> Self {
        Self {
            text,
            bold: false,
            size,
            color: rgb::Color::black(),
        }
    }

    fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    fn color(mut self, color: rgb::Color) -> Self {
        self.color = color;
        self
    }
}

/// Draws text and lines on a page, measuring with the same fonts.
struct Pen<'s, 'p> {
    surface: &'s mut Surface<'p>,
    fonts: &'s Fonts,
}

impl Pen<'_, '_> {
    fn face(&self, bold: bool) -> &Face {
        if bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        }
    }

    /// The largest size up to `line.size`, down to `min`, at which the line fits `width`.
    fn fit(&self, line: &Line, width: f32, min: f32) -> f32 {
        let natural = self.face(line.bold).width(line.text, line.size);
        if natural <= width {
            line.size
        } else {
            (line.size * width / natural).max(min)
        }
    }

    /// `line` with its baseline at `y`, from `x`; cut with "…" where it is wider than
    /// `width` (a long title on a narrow column).
    fn text(&mut self, x: f32, y: f32, width: f32, line: &Line) {
        let face = self.face(line.bold);
        let mut text = line.text.to_owned();
        if face.width(&text, line.size) > width {
            while !text.is_empty() && face.width(&format!("{text}…"), line.size) > width {
                text.pop();
            }
            text = format!("{}…", text.trim_end());
        }
        let font = face.pdf.clone();
        self.surface.set_fill(Some(Fill {
            paint: line.color.into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        self.surface.draw_text(
            Point::from_xy(x, y),
            font,
            line.size,
            &text,
            false,
            TextDirection::Auto,
        );
    }

    /// `line` centred on `cx`.
    fn centred(&mut self, cx: f32, y: f32, width: f32, line: &Line) {
        let w = self.face(line.bold).width(line.text, line.size).min(width);
        self.text(cx - w / 2.0, y, width, line);
    }

    fn rect(&mut self, r: Rect, fill: Option<rgb::Color>, stroke: Option<(rgb::Color, f32)>) {
        let mut pb = PathBuilder::new();
        pb.push_rect(r);
        let Some(path) = pb.finish() else { return };
        self.surface.set_fill(fill.map(|c| Fill {
            paint: c.into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        self.surface.set_stroke(stroke.map(|(c, width)| Stroke {
            paint: c.into(),
            width,
            ..Default::default()
        }));
        self.surface.draw_path(&path);
        self.surface.set_stroke(None);
    }

    fn hline(&mut self, x1: f32, x2: f32, y: f32, color: rgb::Color, width: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(x1, y);
        pb.line_to(x2, y);
        let Some(path) = pb.finish() else { return };
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: color.into(),
            width,
            ..Default::default()
        }));
        self.surface.draw_path(&path);
        self.surface.set_stroke(None);
    }
}

fn grey() -> rgb::Color {
    rgb::Color::new(0x56, 0x5c, 0x65)
}

fn light() -> rgb::Color {
    rgb::Color::new(0xc9, 0xcc, 0xd1)
}

fn blue() -> rgb::Color {
    rgb::Color::new(0x00, 0x5e, 0xa2)
}

fn new_document(title: String) -> Document {
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title)
            .creator("convene".to_owned())
            .language("und".to_owned()),
    );
    doc
}

fn finish(doc: Document) -> Result<Vec<u8>, AppError> {
    doc.finish()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_is_a4_unless_letter_is_asked_for() {
        assert_eq!(Paper::parse(None).unwrap(), Paper::A4);
        assert_eq!(Paper::parse(Some("Letter")).unwrap(), Paper::Letter);
        assert!(matches!(
            Paper::parse(Some("a3")),
            Err(AppError::Validation(e)) if e.contains("paper")
        ));
    }

    #[test]
    fn family_names_sort_in_any_script() {
        assert_eq!(family_name("Ada  Lovelace "), "lovelace");
        assert_eq!(family_name("Наталья Иванова"), "иванова");
        assert_eq!(family_name("Αλέξανδρος Παπαδόπουλος"), "παπαδόπουλος");
    }

    #[test]
    fn text_is_measured_by_the_embedded_font() {
        let fonts = Fonts::load().unwrap();
        let w = fonts.regular.width("Наталья Иванова", 10.0);
        assert!(w > 50.0 && w < 120.0, "{w}");
        assert!(fonts.bold.width("M", 20.0) > fonts.regular.width("M", 10.0));
    }
}
