//! JSON in, JSON out: one customer as a JSON object in, its named offers
//! as a JSON object out, for services that speak JSON (an HTTP handler, a
//! queue consumer, a binding to another language).
//!
//! In: a `serde_json::Value` or a text. Out: the object
//! [`Engine::evaluate_json`] documents, or a [`JsonError`] that says which
//! step failed and can render itself as JSON too.

use crate::engine::Engine;
use crate::engine::offer::EvalError;
use crate::engine::recommend::Recommendation;
use crate::package::customer::{Customer, FieldError};
use serde_json::{Map, Value};
use std::fmt;

/// Why [`Engine::evaluate_json`] or [`Engine::evaluate_json_str`] gave no
/// result. [`JsonError::to_json`] gives it in the same JSON terms as the result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum JsonError {
    /// The text is not JSON (only [`Engine::evaluate_json_str`] reads text).
    /// Triggered by `{"tenure": 3,}`.
    Syntax {
        /// What the JSON reader found wrong.
        message: String,
        /// 1-based line of the text where it stopped.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The customer does not fit the schema: the input is not an object, a
    /// value is not what its attribute says, or a required one is missing.
    /// Triggered by `{"tenure": "three"}` or by `[]`.
    Customer(FieldError),
    /// A rule or script failed on this customer (a gain divided by zero, a
    /// script over its limits). Triggered by `gain 1 / monthly_charges`
    /// for a customer with `monthly_charges: 0`.
    Eval(EvalError),
}

impl JsonError {
    /// Which step failed, as the `kind` of [`JsonError::to_json`]:
    /// `syntax`, `customer` or `evaluation`. Stable, for callers to match
    /// on (an HTTP handler answers `customer` and `syntax` with a 400 and
    /// `evaluation` with a 422, say).
    pub fn kind(&self) -> &'static str {
        match self {
            JsonError::Syntax { .. } => "syntax",
            JsonError::Customer(_) => "customer",
            JsonError::Eval(_) => "evaluation",
        }
    }

    /// The error as JSON, to answer in the same form as a result:
    ///
    /// ```json
    /// {"error": {"kind": "customer", "message": "`tenure` (attribute `tenure_months`): expected a number, found `three`",
    ///            "field": "tenure_months", "column": "tenure"}}
    /// ```
    ///
    /// `kind` and `message` are always there; `syntax` adds `line` and
    /// `column` (of the text), `customer` adds `field` (the attribute) and
    /// `column` (the input key), `evaluation` adds `raised_by` (e.g.
    /// ``rule `tiered_gain` ``).
    pub fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("kind".into(), self.kind().into());
        error.insert("message".into(), self.to_string().into());
        match self {
            JsonError::Syntax { line, column, .. } => {
                error.insert("line".into(), (*line).into());
                error.insert("column".into(), (*column).into());
            }
            JsonError::Customer(e) => {
                error.insert("field".into(), e.field.clone().into());
                error.insert("column".into(), e.column.clone().into());
            }
            JsonError::Eval(e) => {
                error.insert("raised_by".into(), e.raised_by().into());
            }
        }
        let mut outer = Map::with_capacity(1);
        outer.insert("error".into(), Value::Object(error));
        Value::Object(outer)
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax { message, .. } => write!(f, "the input is not JSON: {message}"),
            JsonError::Customer(e) => e.fmt(f),
            JsonError::Eval(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JsonError::Syntax { .. } => None,
            JsonError::Customer(e) => Some(e),
            JsonError::Eval(e) => Some(e),
        }
    }
}

impl From<FieldError> for JsonError {
    fn from(e: FieldError) -> JsonError {
        JsonError::Customer(e)
    }
}

impl From<EvalError> for JsonError {
    fn from(e: EvalError) -> JsonError {
        JsonError::Eval(e)
    }
}

impl Engine {
    /// Evaluates one customer given as a JSON object and answers in JSON:
    /// the call for a service that speaks JSON, like zen-engine's
    /// `evaluate` or regorus's `set_input_json` and `eval_rule` together.
    ///
    /// **In:** one object whose keys are input columns or attribute names
    /// (`pref.NAME` for preferences), as [`Engine::customer_from_json`]
    /// reads them: numbers as numbers or texts, yes/no as booleans or
    /// texts, `null` for missing; keys the schema does not know are ignored.
    ///
    /// **Out:** an object of this shape, stable across versions (new keys
    /// may be added, none removed or renamed):
    ///
    /// ```json
    /// {
    ///   "customer": "C-1",
    ///   "offers": [
    ///     {"service": "priority_support", "name": "优先技术支持", "gain": 4.4,
    ///      "rule": "fast_start", "reason": "New customers who value speed",
    ///      "segment": "new_customer"}
    ///   ]
    /// }
    /// ```
    ///
    /// - `customer`: the catalog's `customer.id` attribute as text, or `null`.
    /// - `not_given`: the input columns of required attributes the object
    ///   left out, which were read as missing values (the object is a
    ///   customer typed by a caller, not a row of a file: leaving a required
    ///   value out asks what such a customer would get); present only when
    ///   there are any. A required value given empty (`""`, `null`) is an
    ///   error.
    /// - `offers`: best first, possibly empty. `service` is the id rules
    ///   use, `name` the catalog's display name, `gain` the expected
    ///   satisfaction gain rounded to four decimals, `rule` the rule that
    ///   made the offer, `reason` its `because` text or `null`, `segment` the
    ///   rule's segment.
    ///
    /// It sees one customer, so a service with a `capacity` is offered to
    /// every customer who qualifies; give limited services to the best of a
    /// population with [`crate::capacity`]. Each call allocates an
    /// evaluator; for a stream of customers, [`Engine::evaluator`] is faster.
    ///
    /// # Errors
    /// [`JsonError::Customer`] when the input is not an object or does not
    /// fit the schema, [`JsonError::Eval`] when a rule fails on it.
    /// [`JsonError::to_json`] turns either into `{"error": {...}}`.
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let engine = vasrec::Engine::load("rules")?;
    /// let answer = engine.evaluate_json(&json!({
    ///     "customerID": "C-1", "tenure": 3, "MonthlyCharges": 70.35,
    ///     "Contract": "Month-to-month",
    /// }))?;
    /// assert_eq!(answer["customer"], "C-1");
    /// for offer in answer["offers"].as_array().into_iter().flatten() {
    ///     println!("{} {} +{}", offer["service"], offer["name"], offer["gain"]);
    /// }
    ///
    /// let error = engine.evaluate_json(&json!({"customerID": "C-2", "tenure": "three"}));
    /// assert_eq!(error.unwrap_err().to_json()["error"]["kind"], "customer");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_json(&self, customer: &Value) -> Result<Value, JsonError> {
        let customer = self.customer_from_json(customer)?;
        let offers = self.recommend(&customer)?;
        let mut answer = Map::with_capacity(3);
        answer.insert(
            "customer".into(),
            self.customer_id(&customer)
                .map_or(Value::Null, Value::String),
        );
        let not_given: Vec<Value> = self
            .not_given(&customer)
            .map(|column| Value::String(column.to_string()))
            .collect();
        if !not_given.is_empty() {
            answer.insert("not_given".into(), Value::Array(not_given));
        }
        answer.insert(
            "offers".into(),
            offers.iter().map(Recommendation::to_json).collect(),
        );
        Ok(Value::Object(answer))
    }

    /// The input columns of required attributes that a customer typed in
    /// (by [`Engine::customer_from_json`]) left out and that were read as
    /// missing values: the `not_given` of [`Engine::evaluate_json`]. A row
    /// of a file never has any (a missing required value is an error there).
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let customer = engine.customer_from_json(&serde_json::json!({"customerID": "C-1"}))?;
    /// assert!(engine.not_given(&customer).any(|column| column == "tenure"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn not_given<'a>(&'a self, customer: &'a Customer) -> impl Iterator<Item = &'a str> + 'a {
        customer
            .missing_required(self.schema())
            .map(|(_, column)| column)
    }

    /// [`Engine::evaluate_json`] from text to text: reads the customer
    /// object from `customer`, answers with the result object as compact
    /// JSON. Text that is not JSON is a [`JsonError::Syntax`].
    ///
    /// ```
    /// let engine = vasrec::Engine::load("rules")?;
    /// let answer = engine.evaluate_json_str(
    ///     r#"{"customerID": "C-1", "tenure": 3, "MonthlyCharges": 70.35}"#,
    /// )?;
    /// assert!(answer.starts_with(r#"{"customer":"C-1","offers":["#));
    ///
    /// let error = engine.evaluate_json_str("{").unwrap_err();
    /// assert_eq!(error.kind(), "syntax");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_json_str(&self, customer: &str) -> Result<String, JsonError> {
        let value: Value = serde_json::from_str(customer).map_err(|e| JsonError::Syntax {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
        Ok(self.evaluate_json(&value)?.to_string())
    }
}
