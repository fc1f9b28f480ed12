namespace Quorum.Benchmarks.Simulation;

/// <param name="Duration">Simulated seconds to run; arrivals stop there too.</param>
/// <param name="CyclePeriod">
/// Minimum simulated seconds between two scheduling steps: events closer together are batched
/// into one step, as a scheduler that is busy deciding batches what arrives meanwhile.
/// </param>
/// <param name="Patience">
/// Simulated seconds a group waits below its minimum before its owner gives up and deletes it
/// (pods already bound included). Bounds the queue, and ends partial-gang deadlocks eventually.
/// </param>
public sealed record SimulationSettings(double Duration, double CyclePeriod = 1, double Patience = 1800);
