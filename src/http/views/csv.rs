//! CSV downloads that are safe to open in a spreadsheet.

use actix_web::http::header;
use actix_web::HttpResponse;
use chrono::NaiveDateTime;

use crate::db::models::event::Event;
use crate::domain::money::decimal_amount;
use crate::error::AppError;

/// What an event's CSV export answers, as the OpenAPI document names it (the columns are in
/// each operation's description).
#[derive(utoipa::IntoResponses)]
pub enum EventCsvAnswers {
    /// A CSV download (`Content-Disposition: attachment`): a header row naming the columns,
    /// then one row per record.
    #[response(status = 200, content_type = "text/csv")]
    Download(String),
    /// No such event.
    #[response(status = 404)]
    NoSuchEvent,
}

/// How an event's exports write money and times: for a person with a spreadsheet, not for
/// a program. Amounts are decimals (`1500.00`) beside a `currency` column; times are in the
/// event's zone, to the second, as `2027-03-01 09:30:00` (which spreadsheets read as a
/// date and time), beside a `time_zone` column.
pub struct SheetFormat {
    timezone: chrono_tz::Tz,
    currency: String,
}

impl SheetFormat {
    pub fn of(event: &Event) -> Self {
        Self {
            timezone: event.timezone.parse().unwrap_or(chrono_tz::UTC),
            currency: event.currency.clone(),
        }
    }

    pub fn money(&self, cents: i64) -> String {
        decimal_amount(cents, &self.currency)
    }

    pub fn time(&self, t: NaiveDateTime) -> String {
        t.and_utc()
            .with_timezone(&self.timezone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }

    /// An optional time; empty when there is none.
    pub fn time_opt(&self, t: Option<NaiveDateTime>) -> String {
        t.map(|t| self.time(t)).unwrap_or_default()
    }

    /// The `currency` column's value.
    pub fn currency(&self) -> String {
        self.currency.clone()
    }

    /// The `time_zone` column's value.
    pub fn zone(&self) -> String {
        self.timezone.name().to_owned()
    }
}

/// A CSV download named `filename`: the header row, then the rows, every cell made safe
/// for spreadsheets (see [`neutralise_formula`]).
pub fn csv_download(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<HttpResponse, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| AppError::Internal(anyhow::Error::new(e).context("CSV export"));
    out.write_record(header).map_err(write_err)?;
    for cells in rows {
        out.write_record(cells.iter().map(|cell| neutralise_formula(cell)))
            .map_err(write_err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV export: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// A spreadsheet reads a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage
/// return, which some treat alike) as a formula; a leading `'` makes it plain text.
pub fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise_formula;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_quoted() {
        assert_eq!(
            neutralise_formula("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(neutralise_formula("+1 617 555 0100"), "'+1 617 555 0100");
        assert_eq!(neutralise_formula("-2"), "'-2");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("Dana Whitfield"), "Dana Whitfield");
        assert_eq!(neutralise_formula(""), "");
    }
}
