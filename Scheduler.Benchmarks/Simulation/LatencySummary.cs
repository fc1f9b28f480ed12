namespace Quorum.Benchmarks.Simulation;

/// <summary>Milliseconds: nearest-rank percentiles and the maximum.</summary>
public sealed record LatencySummary(double P50, double P90, double P99, double Max);
