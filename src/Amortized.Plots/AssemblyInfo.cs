namespace Amortized.Plots;
