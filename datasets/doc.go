// Package datasets loads images for ADTR: MVTec AD-layout defect categories (OpenMVTec),
// one-class semantic data as class folders or CIFAR-10 batches (OneClassFolders,
// OneClassCIFAR10), embedded synthetic defect categories (Synthetic, written to disk with
// WriteMVTec) and FCDD confetti noise as synthetic anomalies (Confetti).
//
// Every reader returns a Category of Samples (train, validation and test splits, with image
// labels and ground-truth masks where available). LoadImage, LoadMask and LoadAll decode and
// resize a sample to the model's square input size; Normalize and Batch turn images into
// ImageNet-normalised float32 NHWC data. The package depends on no other part of goadtr.
package datasets
