namespace Quorum.Benchmarks.Simulation;

/// <summary>Every figure of one simulation run; see <see cref="SimulationMetrics"/> for the definitions.</summary>
/// <param name="Pods">Pods of the groups that arrived (background excluded).</param>
/// <param name="Groups">Groups that arrived (background excluded).</param>
/// <param name="AdmittedGroups">Groups whose every level's minimum got bound (Quorum: admitted).</param>
/// <param name="TimedOutGroups">Groups withdrawn after waiting longer than the patience below their minimum.</param>
/// <param name="StepsWithGen2Collection">Timed steps during which a gen2 GC ran (its pause is in that step's latency).</param>
/// <param name="LatencyMs">Per-group decision latency (amortized share of its step).</param>
/// <param name="StepLatencyMs">Per step: snapshot update + the whole decision for every group tried.</param>
/// <param name="UsefulGpuAllocation">GPU allocation not counting GPUs held by partial gangs.</param>
/// <param name="FragmentationSamples">Steps with work waiting and some GPU free; 0 makes Fragmentation meaningless (reported 0).</param>
/// <param name="PartialGangGroups">Distinct groups seen holding pods below their minimum at the end of a step.</param>
/// <param name="PartialGangGpuShare">Mean share of all GPUs held by partial gangs (same samples as allocation).</param>
public sealed record SimulationReport(
    string Scheduler,
    int Nodes,
    long Gpus,
    int Pods,
    int Groups,
    int AdmittedGroups,
    int TimedOutGroups,
    int PodsPlaced,
    int Steps,
    int Decisions,
    int StepsWithGen2Collection,
    LatencySummary LatencyMs,
    LatencySummary StepLatencyMs,
    double DecisionSeconds,
    double PodsPerSecond,
    double GpuAllocation,
    double UsefulGpuAllocation,
    int UtilisationSamples,
    double TightestDomainRate,
    int TightestDomainGroups,
    double Fragmentation,
    int FragmentationSamples,
    double TimeWeightedGpuAllocation,
    int PartialGangGroups,
    int PartialGangPeak,
    int PartialGangsAtEnd,
    double PartialGangGpuShare,
    long ManagedMemoryBytesPerNode,
    long ManagedMemoryBytesTotal,
    double SimulatedSeconds,
    double WallSeconds);
