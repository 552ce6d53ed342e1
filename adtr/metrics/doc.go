// Package metrics computes the evaluation metrics of image anomaly detection (ADTR spec §5):
// image AUROC, pixel AUROC pooled over all pixels of a category, AU-PRO up to a false-positive
// rate limit (the MVTec AD localisation standard) and F1-max, plus a decision threshold chosen on
// held-back normal images.
//
// Conventions shared by every function:
//   - Higher scores mean "more anomalous"; a sample is predicted anomalous when its score is
//     greater than or equal to the threshold.
//   - Labels are true (or a non-zero mask pixel) for anomalous samples.
//   - Tied scores form a single operating point: curves never split a tie, so AUROC gives a tie
//     between a positive and a negative half credit, as scikit-learn's roc_auc_score does.
//   - No value is ever flipped: an inverted detector gets an AUROC below 0.5.
//   - NaN scores are rejected with an error.
//
// The package is pure Go and does not depend on the model.
package metrics
