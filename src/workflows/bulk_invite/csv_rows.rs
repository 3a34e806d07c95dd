//! Reading a bulk upload's CSV: the separator the header row uses, the columns it names,
//! and each row as the fields of an invitation, with its own text kept so that the refused
//! rows can be given back as they were sent. Pure parsing: no rule of an invitation is
//! judged here, only whether a row can be read.

use chrono::Utc;

use super::{too_many_rows, BulkRow, Upload, MAX_ROWS};
use crate::domain::invitation::{CommunityFields, InvitationFields};
use crate::error::{AppError, FieldErrors};

/// The columns a bulk CSV's header row must name; `community_country`, `kind`, `message`,
/// `organization` and `expires_at` may be added.
pub const REQUIRED: [&str; 5] = [
    "email",
    "full_name",
    "title",
    "community_name",
    "community_state",
];

/// The separators a bulk CSV may use: spreadsheets save with `;` where the decimal mark is a
/// comma, and copying cells gives tabs.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];

fn reader(body: &[u8], separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body)
}

/// A header row's column names, as the rows are matched against them.
fn column_names(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, AppError> {
    Ok(reader
        .headers()
        .map_err(|e| AppError::invalid("header", format!("cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect())
}

/// The separator of the header row: the one under which it names the most required
/// columns (a comma when none does better, so that the error names what is missing).
fn detect_separator(body: &[u8]) -> Result<u8, AppError> {
    let mut best = (0, b',');
    for separator in SEPARATORS {
        let headers = column_names(&mut reader(body, separator))?;
        let found = REQUIRED
            .iter()
            .filter(|c| headers.iter().any(|h| h == *c))
            .count();
        if found > best.0 {
            best = (found, separator);
        }
    }
    Ok(best.1)
}

/// The text of `body` from `start` to `end`, without the line break that ends it.
fn source_text(body: &[u8], start: u64, end: u64) -> String {
    let slice = body.get(start as usize..end as usize).unwrap_or_default();
    String::from_utf8_lossy(slice)
        .trim_start_matches('\u{feff}')
        .trim_matches(['\r', '\n'])
        .to_owned()
}

/// Reads a CSV upload: 422 for a header row without a required column, 413 over
/// [`MAX_ROWS`] rows; a row that cannot be read is refused on its own, and blank rows are
/// left out.
pub fn read(body: &[u8]) -> Result<Upload, AppError> {
    let mut reader = reader(body, detect_separator(body)?);
    let headers = column_names(&mut reader)?;
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "header",
            format!(
                "the first row must name the columns (email,full_name,title,community_name,community_state,community_country,kind,message), separated by commas, semicolons or tabs; missing: {}",
                missing.join(", ")
            ),
        ));
    }
    let header = source_text(body, 0, reader.position().byte());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        let read = reader.read_record(&mut record);
        // Each row's own text, so that the refused ones can be offered again as they were.
        let source = Some(source_text(body, start, reader.position().byte()));
        if matches!(read, Ok(false)) {
            break;
        }
        if rows.len() == MAX_ROWS {
            return Err(too_many_rows());
        }
        if let Err(e) = read {
            let errors = FieldErrors::single("row", format!("cannot be read: {e}"));
            rows.push(BulkRow {
                source,
                ..BulkRow::unreadable(errors)
            });
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let (fields, errors) = row_fields(&headers, &record);
        rows.push(BulkRow {
            fields: Some(fields),
            errors,
            source,
        });
    }
    Ok(Upload {
        rows,
        csv_header: Some(header),
    })
}

/// One row's cells as the fields of an invitation, by the header's column names; a blank
/// cell is a field left out. Only `expires_at` is read here (the fields' own rules judge
/// the rest later), and a time that is not one is a problem of the row.
fn row_fields(headers: &[String], record: &csv::StringRecord) -> (InvitationFields, FieldErrors) {
    let cell = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .and_then(|c| record.get(c))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut errors = FieldErrors::new();
    let expires_at = cell("expires_at").and_then(|raw| {
        chrono::DateTime::parse_from_rfc3339(&raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                errors.add(
                    "expires_at",
                    "must be an RFC 3339 time such as 2027-04-30T23:59:00Z",
                )
            })
            .ok()
    });
    let fields = InvitationFields {
        email: cell("email"),
        full_name: cell("full_name"),
        title: cell("title"),
        community: Some(CommunityFields {
            name: cell("community_name"),
            state: cell("community_state"),
            country: cell("community_country"),
        }),
        kind: cell("kind"),
        message: cell("message"),
        organization: cell("organization"),
        expires_at,
    };
    (fields, errors)
}

/// CSV rows name their errors by column (`community_name`), JSON rows by path (`community.name`).
pub fn column_errors(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, messages) in errors.iter() {
        for m in messages {
            out.add(field.replace('.', "_"), m.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(row: &BulkRow) -> &InvitationFields {
        row.fields.as_ref().expect("a readable row")
    }

    fn refusal(result: Result<Upload, AppError>) -> AppError {
        match result {
            Ok(_) => panic!("expected the upload to be refused"),
            Err(e) => e,
        }
    }

    #[test]
    fn the_separator_is_the_one_the_header_row_uses() {
        for sep in [",", ";", "\t"] {
            let body = [
                [
                    "email",
                    "full_name",
                    "title",
                    "community_name",
                    "community_state",
                ]
                .join(sep),
                [
                    "ada@example.org",
                    "Ada Lovelace",
                    "Mayor",
                    "Springfield",
                    "IL",
                ]
                .join(sep),
            ]
            .join("\n");
            let upload = read(body.as_bytes()).unwrap();
            assert_eq!(upload.rows.len(), 1, "separator {sep:?}");
            let f = fields(&upload.rows[0]);
            assert_eq!(f.email.as_deref(), Some("ada@example.org"));
            let community = f.community.as_ref().unwrap();
            assert_eq!(community.state.as_deref(), Some("IL"));
        }
    }

    #[test]
    fn columns_are_matched_by_name_in_any_order_and_case_after_a_byte_order_mark() {
        let body =
            "\u{feff}Community_State,EMAIL,kind,full_name,title,community_name,organization\n\
                    IL,ada@example.org,young_leader,Ada Lovelace,Mayor,Springfield,\n";
        let upload = read(body.as_bytes()).unwrap();
        assert_eq!(
            upload.csv_header.as_deref(),
            Some("Community_State,EMAIL,kind,full_name,title,community_name,organization")
        );
        let f = fields(&upload.rows[0]);
        assert_eq!(f.email.as_deref(), Some("ada@example.org"));
        assert_eq!(f.kind.as_deref(), Some("young_leader"));
        assert_eq!(f.organization, None, "a blank cell is a field left out");
        assert_eq!(f.community.as_ref().unwrap().country, None);
    }

    #[test]
    fn a_header_without_a_required_column_names_what_is_missing() {
        let e = refusal(read(b"email;full_name;title\nada@example.org;Ada;Mayor\n"));
        let AppError::Validation(errors) = e else {
            panic!("expected a 422, got {e}")
        };
        let messages = errors.iter().next().unwrap().1;
        assert!(messages[0].ends_with("missing: community_name, community_state"));
    }

    #[test]
    fn each_row_keeps_its_text_and_blank_rows_are_left_out() {
        let body = "email,full_name,title,community_name,community_state\r\n\
                    ada@example.org,\"Lovelace, Ada\",Mayor,Springfield,IL\r\n\
                    ,,,,\r\n\
                    sam@example.org,Sam,Manager,Lakeside,MI,extra\r\n";
        let upload = read(body.as_bytes()).unwrap();
        let sources: Vec<_> = upload.rows.iter().map(|r| r.source.as_deref()).collect();
        assert_eq!(
            sources,
            [
                Some("ada@example.org,\"Lovelace, Ada\",Mayor,Springfield,IL"),
                Some("sam@example.org,Sam,Manager,Lakeside,MI,extra"),
            ]
        );
        assert_eq!(
            fields(&upload.rows[0]).full_name.as_deref(),
            Some("Lovelace, Ada")
        );
    }

    #[test]
    fn a_time_that_is_not_one_is_the_rows_problem_and_the_rest_is_read() {
        let body = "email,full_name,title,community_name,community_state,expires_at\n\
                    ada@example.org,Ada,Mayor,Springfield,IL,next week\n\
                    sam@example.org,Sam,Manager,Lakeside,MI,2027-04-30T23:59:00+02:00\n";
        let upload = read(body.as_bytes()).unwrap();
        let bad = &upload.rows[0];
        assert_eq!(bad.errors.iter().next().unwrap().0, "expires_at");
        assert_eq!(fields(bad).email.as_deref(), Some("ada@example.org"));
        let good = fields(&upload.rows[1]).expires_at.unwrap();
        assert_eq!(good.to_rfc3339(), "2027-04-30T21:59:00+00:00");
    }

    #[test]
    fn more_rows_than_allowed_refuse_the_whole_upload() {
        let mut body = String::from("email,full_name,title,community_name,community_state\n");
        for i in 0..=MAX_ROWS {
            body.push_str(&format!("p{i}@example.org,P,T,C,S\n"));
        }
        assert!(matches!(
            refusal(read(body.as_bytes())),
            AppError::PayloadTooLarge(_)
        ));
    }

    #[test]
    fn csv_errors_are_named_by_column() {
        let mut errors = FieldErrors::new();
        errors.add("community.name", "is required");
        let named: Vec<String> = column_errors(errors)
            .iter()
            .map(|(f, _)| f.to_owned())
            .collect();
        assert_eq!(named, ["community_name"]);
    }
}
