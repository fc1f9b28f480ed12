namespace Quorum.Core.Topology;

/// <summary>A copy of one domain's aggregates, for reports and tests.</summary>
public sealed record DomainAggregate(
    string Path, int Level, int NodeCount, long FreeGpu, long AllocatableGpu, long FreeMilliCpu, long FreeMemory,
    long MaxNodeFreeGpu, IReadOnlyList<int> NodesByFreeGpu);
