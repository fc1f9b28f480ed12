namespace Quorum.Benchmarks.Simulation;

/// <param name="Mix">disagg, training or mixed.</param>
/// <param name="Seed">Seeds shapes, run times and arrivals: the same seed gives the same stream.</param>
/// <param name="Duration">Simulated seconds over which groups arrive.</param>
/// <param name="Load">Offered GPU load as a fraction of the cluster's GPUs.</param>
/// <param name="WarmFraction">GPUs (as a fraction of the cluster's) of background groups already there at t = 0.</param>
/// <param name="MaxArrivals">Cap on arrivals, which bounds a sweep's work at large sizes.</param>
public sealed record WorkloadSettings(string Mix, int Seed, double Duration, double Load, double WarmFraction, int MaxArrivals);
