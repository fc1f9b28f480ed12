namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// Simulated time for the cache (assumed-pod TTL) and the cycle (starvation threshold): the
/// simulator moves it from event to event, nothing ever sleeps.
/// </summary>
public sealed class SimulatedClock : TimeProvider
{
    /// <summary>t = 0 of every simulation; any fixed instant would do.</summary>
    public static DateTimeOffset Epoch { get; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public double Seconds { get; set; }

    public DateTimeOffset Now => Epoch.AddSeconds(Seconds);

    public override DateTimeOffset GetUtcNow() => Now;
}
