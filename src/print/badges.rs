//! `badges.pdf`: one badge per confirmed registrant, six to a sheet (two across, three
//! down, with cut lines), in family-name order: the name large, the title, the community,
//! and a band saying "Young leader" where it applies.

use krilla::geom::Rect;
use krilla::page::PageSettings;

use super::{blue, grey, light};
use super::{by_family_name, new_document, Attendee, Fonts, Line, Paper, Pen};
use crate::error::AppError;

const MARGIN: f32 = 36.0;
const COLUMNS: usize = 2;
const ROWS: usize = 3;
const PAD: f32 = 16.0;

/// The badges of `attendees` for `event_name`, on `paper`.
pub fn render(
    event_name: &str,
    mut attendees: Vec<Attendee>,
    paper: Paper,
) -> Result<Vec<u8>, AppError> {
    attendees.sort_by(by_family_name);
    let fonts = Fonts::load()?;
    let (width, height) = paper.size();
    let (w, h) = (
        (width - 2.0 * MARGIN) / COLUMNS as f32,
        (height - 2.0 * MARGIN) / ROWS as f32,
    );
    let mut doc = new_document(format!("Badges: {event_name}"));
    let settings = PageSettings::from_wh(width, height)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("PDF: bad paper size")))?;
    // An event with nobody confirmed still gets a (blank) page: a PDF needs one.
    let pages: Vec<&[Attendee]> = if attendees.is_empty() {
        vec![&[]]
    } else {
        attendees.chunks(COLUMNS * ROWS).collect()
    };
    for sheet in pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            fonts: &fonts,
        };
        if sheet.is_empty() {
            let note = Line::new("No confirmed registrants yet.", 14.0).color(grey());
            pen.text(MARGIN, MARGIN + 20.0, width - 2.0 * MARGIN, &note);
        }
        for (i, a) in sheet.iter().enumerate() {
            let x = MARGIN + (i % COLUMNS) as f32 * w;
            let y = MARGIN + (i / COLUMNS) as f32 * h;
            badge(&mut pen, event_name, a, x, y, w, h);
        }
        surface.finish();
        page.finish();
    }
    super::finish(doc)
}

fn badge(pen: &mut Pen, event_name: &str, a: &Attendee, x: f32, y: f32, w: f32, h: f32) {
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        pen.rect(r, None, Some((light(), 0.5)));
    }
    let inner = w - 2.0 * PAD;
    let cx = x + w / 2.0;
    pen.centred(
        cx,
        y + PAD + 10.0,
        inner,
        &Line::new(event_name, 10.0).color(grey()),
    );

    // The name as large as fits; a long one on two lines (given names, family name).
    let name = Line::new(&a.full_name, 28.0).bold();
    let size = pen.fit(&name, inner, 10.0);
    let words: Vec<&str> = a.full_name.split_whitespace().collect();
    let name_y = y + h * 0.42;
    if size < 20.0 && words.len() > 1 {
        let (given, family) = words.split_at(words.len() - 1);
        let given = given.join(" ");
        let family = family.join(" ");
        let lines = [
            Line::new(&given, 24.0).bold(),
            Line::new(&family, 24.0).bold(),
        ];
        let size = lines
            .iter()
            .map(|l| pen.fit(l, inner, 10.0))
            .fold(24.0_f32, f32::min);
        pen.centred(
            cx,
            name_y - size * 0.6,
            inner,
            &Line::new(&given, size).bold(),
        );
        pen.centred(
            cx,
            name_y + size * 0.6,
            inner,
            &Line::new(&family, size).bold(),
        );
    } else {
        pen.centred(cx, name_y, inner, &Line::new(&a.full_name, size).bold());
    }

    pen.centred(cx, y + h * 0.62, inner, &Line::new(&a.title, 13.0));
    let place = a.place();
    pen.centred(
        cx,
        y + h * 0.62 + 20.0,
        inner,
        &Line::new(&place, 12.0).color(grey()),
    );

    if a.young_leader {
        let band = 30.0;
        if let Some(r) = Rect::from_xywh(x + 1.0, y + h - band - 1.0, w - 2.0, band) {
            pen.rect(r, Some(blue()), None);
        }
        pen.centred(
            cx,
            y + h - band / 2.0 + 4.0,
            inner,
            &Line::new("Young leader", 13.0)
                .bold()
                .color(krilla::color::rgb::Color::white()),
        );
    }
}
