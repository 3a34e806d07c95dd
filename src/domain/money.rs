use std::fmt;

/// An amount of money in the currency's minor unit (cents); never negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Cents(i64);

/// Far above any travel budget, far below overflow when amounts are summed.
pub const MAX_CENTS: i64 = 1_000_000_000_000;

impl Cents {
    pub fn new(value: i64) -> Result<Self, String> {
        if value < 0 {
            return Err("must not be negative".into());
        }
        if value > MAX_CENTS {
            return Err(format!("must be at most {MAX_CENTS}"));
        }
        Ok(Self(value))
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

/// An ISO 4217 currency code: three uppercase letters (`USD`, `EUR`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err("must be a 3-letter ISO 4217 currency code such as USD".into());
        }
        Ok(Self(value.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ISO 4217 currencies whose smallest unit is the whole unit: people write ¥1500, never
/// ¥1500.00, and so do the dashboard's amounts (`Intl.NumberFormat`).
const ZERO_DECIMAL: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];

/// An amount kept in hundredths of `currency` (the API's `*_cents`, whatever the currency)
/// as a plain decimal number that a spreadsheet reads as one: `150000` EUR is `1500.00`,
/// `150000` JPY is `1500`. A zero-decimal amount with hundredths (typed so by hand) keeps
/// them: an export must not round money.
pub fn decimal_amount(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, hundredths) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    if hundredths == 0 && ZERO_DECIMAL.contains(&currency) {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{hundredths:02}")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_are_never_negative() {
        assert_eq!(Cents::new(0).unwrap().value(), 0);
        assert!(Cents::new(-1).is_err());
        assert!(Cents::new(MAX_CENTS + 1).is_err());
    }

    #[test]
    fn amounts_are_decimals_with_the_currency_s_own_places() {
        assert_eq!(decimal_amount(150_000, "EUR"), "1500.00");
        assert_eq!(decimal_amount(5, "USD"), "0.05");
        assert_eq!(decimal_amount(0, "USD"), "0.00");
        assert_eq!(decimal_amount(150_000, "JPY"), "1500");
        assert_eq!(decimal_amount(150_050, "JPY"), "1500.50");
        assert_eq!(decimal_amount(-1_250, "GBP"), "-12.50");
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        for bad in ["US", "USDX", "U$D", ""] {
            assert!(Currency::parse(bad).is_err());
        }
    }
}
