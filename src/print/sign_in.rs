//! `attendees.pdf`: the sign-in sheet. The confirmed registrants grouped by community
//! (communities in alphabetical order, people by family name), each with a line to sign.

use std::collections::BTreeMap;

use krilla::page::PageSettings;

use super::{by_family_name, new_document, Attendee, Fonts, Line, Paper, Pen};
use super::{grey, light};
use crate::error::AppError;

const MARGIN: f32 = 42.0;
const ROW: f32 = 26.0;
const HEADING: f32 = 30.0;

/// The sign-in sheet of `attendees` for `event_name` (with its dates), on `paper`.
pub fn render(
    event_name: &str,
    dates: &str,
    attendees: Vec<Attendee>,
    paper: Paper,
) -> Result<Vec<u8>, AppError> {
    let fonts = Fonts::load()?;
    let (width, height) = paper.size();
    let settings = PageSettings::from_wh(width, height)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("PDF: bad paper size")))?;
    let total = attendees.len();
    let mut groups: BTreeMap<(String, String), Vec<Attendee>> = BTreeMap::new();
    for a in attendees {
        groups
            .entry((a.community.name.to_lowercase(), a.community.id.to_string()))
            .or_default()
            .push(a);
    }
    let mut doc = new_document(format!("Sign-in sheet: {event_name}"));
    let inner = width - 2.0 * MARGIN;
    // Columns: name (with title and organization under it), signature.
    let name_w = inner * 0.58;
    let sign_x = MARGIN + name_w + 12.0;

    // Laid out first as a list of pages, each a list of items at their places.
    enum Item<'a> {
        Heading(String, usize),
        Person(&'a Attendee),
    }
    let mut pages: Vec<Vec<(f32, Item)>> = vec![Vec::new()];
    let top = MARGIN + 56.0;
    let bottom = height - MARGIN - 20.0;
    let mut y = top;
    for people in groups.values_mut() {
        people.sort_by(by_family_name);
        // A heading is not left alone at the foot of a page.
        if y + HEADING + ROW > bottom {
            pages.push(Vec::new());
            y = top;
        }
        let heading = people[0].place();
        if let Some(page) = pages.last_mut() {
            page.push((y, Item::Heading(heading.clone(), people.len())));
        }
        y += HEADING;
        for person in people.iter() {
            if y + ROW > bottom {
                pages.push(Vec::new());
                y = top;
                if let Some(page) = pages.last_mut() {
                    page.push((y, Item::Heading(format!("{heading} (continued)"), 0)));
                }
                y += HEADING;
            }
            if let Some(page) = pages.last_mut() {
                page.push((y, Item::Person(person)));
            }
            y += ROW;
        }
    }

    let count = pages.len();
    for (n, items) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            fonts: &fonts,
        };
        pen.text(
            MARGIN,
            MARGIN + 14.0,
            inner,
            &Line::new(event_name, 16.0).bold(),
        );
        let sub = format!("Sign-in sheet · {dates} · {total} expected");
        pen.text(
            MARGIN,
            MARGIN + 32.0,
            inner,
            &Line::new(&sub, 10.0).color(grey()),
        );
        pen.text(
            sign_x,
            MARGIN + 52.0,
            inner - name_w,
            &Line::new("Signature", 9.0).color(grey()),
        );
        for (y, item) in items {
            match item {
                Item::Heading(text, people) => {
                    let label = if *people > 0 {
                        format!("{text} ({people})")
                    } else {
                        text.clone()
                    };
                    pen.text(MARGIN, y + 18.0, inner, &Line::new(&label, 12.0).bold());
                    pen.hline(MARGIN, MARGIN + inner, y + 24.0, grey(), 0.75);
                }
                Item::Person(a) => {
                    pen.text(
                        MARGIN,
                        y + 12.0,
                        name_w,
                        &Line::new(&a.full_name, 11.0).bold(),
                    );
                    let role = [a.title.as_str(), a.organization.as_str()]
                        .into_iter()
                        .filter(|s| !s.trim().is_empty())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let role = if a.young_leader {
                        format!("{role} · Young leader")
                    } else {
                        role
                    };
                    pen.text(
                        MARGIN,
                        y + 22.0,
                        name_w,
                        &Line::new(&role, 8.0).color(grey()),
                    );
                    pen.hline(sign_x, MARGIN + inner, y + 20.0, light(), 0.75);
                }
            }
        }
        let footer = format!("Page {} of {count}", n + 1);
        pen.text(
            MARGIN,
            height - MARGIN,
            inner,
            &Line::new(&footer, 8.0).color(grey()),
        );
        surface.finish();
        page.finish();
    }
    super::finish(doc)
}
