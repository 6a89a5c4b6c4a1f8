//! What a scenario reports: a human table and one JSON object, and the percentiles behind them.

use serde_json::{Map, Value, json};

/// One number a scenario measured.
#[derive(Debug, Clone)]
pub struct Metric {
    /// The JSON key (outside scripts read these; see the crate's README).
    pub key: &'static str,
    /// What it is, for the human table.
    pub label: &'static str,
    /// The value.
    pub value: f64,
}

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name, e.g. `read`.
    pub scenario: &'static str,
    /// The parameters it ran with (backend, sizes), in order.
    pub params: Vec<(&'static str, Value)>,
    /// What it measured, in order.
    pub metrics: Vec<Metric>,
    /// Remarks for the human reader (not in the JSON).
    pub notes: Vec<String>,
}

impl Report {
    /// An empty report of `scenario`.
    pub fn new(scenario: &'static str) -> Self {
        Self {
            scenario,
            params: Vec::new(),
            metrics: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a parameter.
    pub fn param(&mut self, key: &'static str, value: impl Into<Value>) -> &mut Self {
        self.params.push((key, value.into()));
        self
    }

    /// Adds a metric.
    pub fn metric(&mut self, key: &'static str, label: &'static str, value: f64) -> &mut Self {
        self.metrics.push(Metric { key, label, value });
        self
    }

    /// Adds a remark for the human table.
    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.notes.push(note.into());
        self
    }

    /// The JSON object: `scenario`, the parameters, then the metrics (rounded to 3 decimals;
    /// a value that is not finite becomes `null`).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("scenario".into(), json!(self.scenario));
        for (key, value) in &self.params {
            object.insert((*key).into(), value.clone());
        }
        for metric in &self.metrics {
            let rounded = (metric.value * 1000.0).round() / 1000.0;
            let value = serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number);
            object.insert(metric.key.into(), value);
        }
        Value::Object(object)
    }

    /// The human table.
    pub fn to_table(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(key, value)| match value {
                Value::String(text) => format!("{key} {text}"),
                other => format!("{key} {other}"),
            })
            .collect();
        let mut out = format!("{} ({})\n", self.scenario, params.join(", "));
        let width = self
            .metrics
            .iter()
            .map(|m| m.label.len() + m.key.len() + 3)
            .max()
            .unwrap_or(0);
        for metric in &self.metrics {
            let name = format!("{} ({})", metric.label, metric.key);
            out.push_str(&format!(
                "  {name:<width$}  {:>12}\n",
                format_value(metric.value)
            ));
        }
        for note in &self.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        out
    }
}

fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".into();
    }
    if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// The nearest-rank percentile `p` (0 to 100) of `values`, which need not be sorted; `NaN` when
/// there are none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The largest of `values`; `NaN` when there are none.
pub fn max(values: &[f64]) -> f64 {
    values.iter().copied().reduce(f64::max).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
        assert_eq!(max(&[1.0, 3.0, 2.0]), 3.0);
    }

    #[test]
    fn the_json_object_names_the_scenario_and_rounds_metrics() {
        let mut report = Report::new("read");
        report
            .param("backend", "sqlite")
            .metric("rps", "requests/s", 1234.56789)
            .metric("p99_ms", "p99", f64::NAN);
        let json = report.to_json();
        assert_eq!(json["scenario"], "read");
        assert_eq!(json["backend"], "sqlite");
        assert_eq!(json["rps"], 1234.568);
        assert!(json["p99_ms"].is_null());
        assert!(report.to_table().contains("requests/s (rps)"));
    }
}
