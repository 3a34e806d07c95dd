//! One extractor for every list: `ListQuery<F, P>` reads a list's filters `F` and its
//! paging `P` from the query string, checks both, and answers one 422 naming every bad
//! parameter. Each list says only which filters it takes and how each is checked (a
//! [`ListFilter`]); the paging rules are written once, here.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::error::QueryPayloadError;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::invitation::InvitationKind;
use crate::domain::Choice;
use crate::error::{AppError, FieldErrors};

/// A part of a list's query string: read as `Self` (a type error is 400, as for any query
/// string), then checked into [`ListFilter::Checked`], naming each bad value in `errors`
/// so that all of them are reported in one answer. The same struct, deriving
/// `IntoParams`, documents the parameters.
pub trait ListFilter: DeserializeOwned + 'static {
    /// The parameters as the list's query takes them.
    type Checked;

    fn check(self, errors: &mut FieldErrors) -> Self::Checked;
}

/// A list's query string: its filters and its page (by default `limit` and `offset`).
///
/// Put it after the handler's credentials (`CurrentOrganizer`, `Admin`), so that a
/// request without them is 401 or 403 whatever its query says.
pub struct ListQuery<F: ListFilter, P: ListFilter = PageParams> {
    pub filter: F::Checked,
    pub page: P::Checked,
}

impl<F: ListFilter, P: ListFilter> ListQuery<F, P> {
    fn read(req: &HttpRequest) -> Result<Self, AppError> {
        let (filter, page) = (query_part::<F>(req)?, query_part::<P>(req)?);
        let mut errors = FieldErrors::new();
        let filter = filter.check(&mut errors);
        let page = page.check(&mut errors);
        errors.into_result()?;
        Ok(Self { filter, page })
    }
}

impl<F: ListFilter, P: ListFilter> FromRequest for ListQuery<F, P> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::read(req))
    }
}

fn query_part<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, AppError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(bad_query)
}

/// A query string that does not deserialize (a number that is not one): 400.
pub fn bad_query(e: QueryPayloadError) -> AppError {
    AppError::BadRequest(format!("invalid query string: {e}"))
}

/// No parameters: a list without filters, or without paging.
#[derive(Deserialize)]
pub struct NoParams {}

impl ListFilter for NoParams {
    type Checked = ();

    fn check(self, _: &mut FieldErrors) {}
}

/// `limit` and `offset`, as every paged list takes them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Default 0.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A page: at most `limit` items (1 to 500, default 50) after the first `offset` (default 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl ListFilter for PageParams {
    type Checked = Page;

    fn check(self, errors: &mut FieldErrors) -> Page {
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            errors.add("offset", "must not be negative");
        }
        Page {
            limit: check_limit(errors, self.limit),
            offset,
        }
    }
}

/// `limit` alone, for a list paged by a cursor of its own (the audit log's `before`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

impl ListFilter for LimitParams {
    type Checked = i64;

    fn check(self, errors: &mut FieldErrors) -> i64 {
        check_limit(errors, self.limit)
    }
}

fn check_limit(errors: &mut FieldErrors, limit: Option<i64>) -> i64 {
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        errors.add("limit", "must be from 1 to 500");
    }
    limit
}

/// The filters of a list of invited people (invitations, registrations): a status of
/// theirs (`S`), the kind of invitation, a community by name and a search.
pub struct PeopleFilter<S> {
    pub status: Option<S>,
    pub kind: Option<InvitationKind>,
    pub community: Option<String>,
    pub q: Option<String>,
}

impl<S: Choice> PeopleFilter<S> {
    /// Checks `status` and `kind` as they came in the query string.
    pub fn check(
        errors: &mut FieldErrors,
        (status, kind): (Option<String>, Option<String>),
        community: Option<String>,
        q: Option<String>,
    ) -> Self {
        Self {
            status: query_choice(errors, "status", status.as_deref()),
            kind: query_choice(errors, "kind", kind.as_deref()),
            community,
            q,
        }
    }
}

/// A filter naming one of a [`Choice`]'s values; a bad one is named in `errors` with the
/// values it may take.
pub fn query_choice<T: Choice>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
) -> Option<T> {
    query_filter(errors, field, raw, <T as Choice>::parse, &T::expected())
}

/// An optional filter from the query string (`?status=pending`): `None` when absent or
/// empty; a value `parse` does not know is named in `errors` with `message`, so that every
/// bad filter is reported in one answer.
pub fn query_filter<T>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
    message: &str,
) -> Option<T> {
    let raw = raw.filter(|s| !s.is_empty())?;
    let parsed = parse(raw);
    if parsed.is_none() {
        errors.add(field, message);
    }
    parsed
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[derive(Deserialize)]
    struct Flavour {
        flavour: Option<String>,
    }

    impl ListFilter for Flavour {
        type Checked = Option<String>;

        fn check(self, errors: &mut FieldErrors) -> Option<String> {
            let known = |s: &str| (s == "plain").then(|| s.to_owned());
            query_filter(
                errors,
                "flavour",
                self.flavour.as_deref(),
                known,
                "must be plain",
            )
        }
    }

    fn read(query: &str) -> Result<ListQuery<Flavour>, AppError> {
        let req = TestRequest::with_uri(&format!("/items?{query}")).to_http_request();
        ListQuery::read(&req)
    }

    fn field_names(result: Result<ListQuery<Flavour>, AppError>) -> Vec<String> {
        match result {
            Err(AppError::Validation(errors)) => errors.iter().map(|(f, _)| f.to_owned()).collect(),
            Err(other) => panic!("expected a 422, got {other}"),
            Ok(_) => panic!("expected a 422"),
        }
    }

    #[test]
    fn defaults_stand_in_for_absent_and_empty_parameters() {
        let q = read("flavour=").unwrap();
        assert_eq!(q.filter, None);
        assert_eq!(
            q.page,
            Page {
                limit: 50,
                offset: 0
            }
        );
        let q = read("flavour=plain&limit=500&offset=7").unwrap();
        assert_eq!(q.filter.as_deref(), Some("plain"));
        assert_eq!(
            q.page,
            Page {
                limit: 500,
                offset: 7
            }
        );
    }

    #[test]
    fn every_bad_parameter_is_named_in_one_answer() {
        let names = field_names(read("flavour=salt&limit=0&offset=-1"));
        assert_eq!(names, ["flavour", "limit", "offset"]);
        assert_eq!(field_names(read("limit=501")), ["limit"]);
    }

    #[test]
    fn a_number_that_is_not_one_is_a_bad_request() {
        assert!(matches!(read("limit=many"), Err(AppError::BadRequest(_))));
    }
}
