using Quorum.Core.Framework;

namespace Quorum.Core.Plugins;

/// <summary>Best fit first: the domain left with the fewest free GPUs once the level is placed.</summary>
public sealed class LeastGpuLeftOver : IDomainOrder
{
    public string Name => "LeastGpuLeftOver";

    public long Key(LevelContext level, int domain) => level.Tree.FreeGpu(domain) - level.Demand.Gpu;
}

/// <summary>A domain already in use before an empty one: empty NVLink domains stay empty for whole-domain gangs.</summary>
public sealed class PartlyUsedFirst : IDomainOrder
{
    public string Name => "PartlyUsedFirst";

    public long Key(LevelContext level, int domain) => level.Tree.IsEmptyOfWork(domain) ? 1 : 0;
}

/// <summary>For CPU-only levels and GPU ties: the fewest free millicores.</summary>
public sealed class LeastCpuLeftOver : IDomainOrder
{
    public string Name => "LeastCpuLeftOver";

    public long Key(LevelContext level, int domain) => level.Tree.FreeMilliCpu(domain);
}
