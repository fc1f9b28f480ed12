using System.Collections.Immutable;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Placement;
using Quorum.Core.Plugins;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Profiles;

/// <summary>A node scorer and its weight in the sum.</summary>
public sealed record WeightedScorer(INodeScorer Scorer, int Weight);

/// <summary>
/// The plugins one scheduler runs, at every extension point, and the options they share. The host,
/// the live and offline what-if, explain and the simulator all build their admission from a profile,
/// so none of them can decide differently from the scheduler. A new policy is a plugin registered
/// here, not an edit of the search.
/// </summary>
public sealed class SchedulerProfile
{
    public const int MaxDomainOrders = 3;
    public const int MaxWeight = 100;

    public SchedulerProfile(
        IEnumerable<INodeFilter> filters,
        IEnumerable<WeightedScorer> scorers,
        IEnumerable<IDomainFilter> domainFilters,
        IEnumerable<IDomainOrder> domainOrders,
        IGangOrder gangOrder,
        Func<PlacementOptions, IReservationPolicy> reservationPolicy,
        PlacementOptions? options = null)
    {
        Filters = new FilterChain(filters);
        Scorers = [.. scorers];
        DomainFilters = [.. domainFilters];
        DomainOrders = [.. domainOrders];
        if (DomainOrders.Length > MaxDomainOrders) throw new ArgumentException($"at most {MaxDomainOrders} domain orders", nameof(domainOrders));
        if (Scorers.FirstOrDefault(s => s.Weight is < 1 or > MaxWeight) is { } bad)
            throw new ArgumentException($"score plugin {bad.Scorer.Name}: weight {bad.Weight} is outside 1..{MaxWeight}", nameof(scorers));
        GangOrder = gangOrder;
        _reservationPolicy = reservationPolicy;
        Options = options ?? new PlacementOptions();
    }

    private readonly Func<PlacementOptions, IReservationPolicy> _reservationPolicy;

    public FilterChain Filters { get; }
    public ImmutableArray<WeightedScorer> Scorers { get; }
    public ImmutableArray<IDomainFilter> DomainFilters { get; }
    public ImmutableArray<IDomainOrder> DomainOrders { get; }
    public IGangOrder GangOrder { get; }
    public PlacementOptions Options { get; }

    /// <summary>A fresh reservation policy: it holds state across cycles, so each scheduler (or what-if) has its own.</summary>
    public IReservationPolicy CreateReservationPolicy() => _reservationPolicy(Options);

    /// <summary>The tree a gang is placed on: its topology, else the default one, else the flat node list.</summary>
    public TopologyTree TreeFor(ClusterSnapshot snapshot, GangTree gang) =>
        snapshot.Tree(gang.Topology ?? Options.DefaultTopology) ?? snapshot.FlatTree;

    /// <summary>kube-scheduler's filters every user expects, in its order.</summary>
    public static ImmutableArray<INodeFilter> DefaultFilters { get; } =
    [
        new NodeUnschedulableFilter(), new TaintTolerationFilter(), new NodeAffinityFilter(), new NodePortsFilter(), new NodeResourcesFitFilter(),
        new VolumeRestrictionsFilter(), new NodeVolumeLimitsFilter(), new VolumeBindingFilter(),
        new PodTopologySpreadLabels(), new PodTopologySpreadFilter(), new InterPodAntiAffinityFilter(), new InterPodAffinityFilter(),
    ];

    /// <summary>Score plugins by the name the configuration file uses, with their default weights.</summary>
    public static ImmutableArray<WeightedScorer> DefaultScorers { get; } =
    [
        new(new GpuBestFit(), 1),
        // kube-scheduler's default weights for TaintToleration, InterPodAffinity and PodTopologySpread.
        new(new TaintTolerationScorer(), 3),
        new(new InterPodAffinityScorer(), 2),
        new(new PodTopologySpreadScorer(), 2),
    ];

    /// <summary>
    /// Quorum's profile: kube-scheduler's filters, GPU best fit and PreferNoSchedule scoring, required
    /// levels as guarantees, aggregate pruning, best-fit domain order, priority queue order and the
    /// starvation reservation. <paramref name="weights"/> overrides score weights by plugin name;
    /// <paramref name="disabledScorers"/> turns scorers off.
    /// </summary>
    public static SchedulerProfile Default(PlacementOptions? options = null, IReadOnlyDictionary<string, int>? weights = null,
        IReadOnlyCollection<string>? disabledScorers = null)
    {
        var scorers = DefaultScorers
            .Where(s => disabledScorers is null || !disabledScorers.Contains(s.Scorer.Name))
            .Select(s => weights is not null && weights.TryGetValue(s.Scorer.Name, out var w) ? s with { Weight = w } : s);
        return new SchedulerProfile(DefaultFilters, scorers,
            [new RequiredLevelLabels(), new DomainResources()],
            [new LeastGpuLeftOver(), new PartlyUsedFirst(), new LeastCpuLeftOver()],
            PrioritySort.Instance,
            o => new StarvationReservation(o.StarvationThreshold),
            options);
    }
}
