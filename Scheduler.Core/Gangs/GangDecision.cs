using System.Collections.Immutable;
using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Placement;

namespace Quorum.Core.Gangs;

/// <summary>A pod and the node the decision gives it.</summary>
public sealed record PodPlacement(ObjectKey Pod, string Node, string? SubGroup, bool Extra);

/// <summary>How a level's failure is told.</summary>
public enum LevelFailureKind : byte
{
    /// <summary>A leaf's pods do not fit in one domain of the level.</summary>
    Pods,

    /// <summary>A middle group's sub-groups do not fit in one domain of the level.</summary>
    SubGroups,

    /// <summary>The level's bound pods lie outside the domain chosen for its parent.</summary>
    OutsideParentDomain,
}

/// <summary>
/// Why one level of a gang could not be placed, with the figures behind the message: what it needs,
/// inside which level, how much the best domain of that level holds, and whether freed capacity could
/// help (<see cref="Code"/>). The text is rendered from these (<see cref="DecisionText"/>).
/// </summary>
/// <param name="SubGroup">The level's path ("" for the group itself).</param>
/// <param name="Level">The topology level's label key, or "cluster".</param>
/// <param name="Unit">"sub-groups", or the pod shape (e.g. "8 nvidia.com/gpu").</param>
public sealed record LevelFailure(string SubGroup, string Level, int Needed, int BestFit, string Unit, StatusCode Code)
{
    public LevelFailureKind Kind { get; init; }

    /// <summary>For sub-groups: how many the middle group has.</summary>
    public int Of { get; init; }

    /// <summary>Nodes left out because they lack the label of the required level (or one above it), and that label.</summary>
    public int UnlabelledNodes { get; init; }

    public string? UnlabelledLevel { get; init; }

    public string Message => DecisionText.Render(this);
}

/// <summary>Why a pod was not placed (its group not admitted, or it is an extra that did not fit).</summary>
public sealed record PodFailure(ObjectKey Pod, string Reason);

/// <summary>A leaf with fewer pods than its minimum: the group waits for its owner to create them.</summary>
public sealed record MissingPods(string SubGroup, int Have, int Need);

/// <summary>
/// The result of one admission attempt for one group: the code that decides what happens next, the
/// placements when admitted, and otherwise the structured reasons (level failures, missing pods, a
/// node-by-node diagnosis) from which <see cref="Message"/> is rendered.
/// </summary>
public sealed record GangDecision(ObjectKey Group, StatusCode Code)
{
    public bool Admitted => Code == StatusCode.Success;

    public ImmutableArray<PodPlacement> Placements { get; init; } = [];

    /// <summary>Pending pods of the group this decision leaves unplaced (all of them when refused; extras that did not fit when admitted).</summary>
    public ImmutableArray<ObjectKey> NotPlaced { get; init; } = [];

    public ImmutableArray<LevelFailure> Failures { get; init; } = [];

    public ImmutableArray<MissingPods> Missing { get; init; } = [];

    /// <summary>The level whose bound pods already span several domains of its required level, and how many.</summary>
    public (string SubGroup, int Domains, string Level)? PinConflict { get; init; }

    /// <summary>kube-scheduler's node-by-node diagnosis of the group's first pending pod, when it says something.</summary>
    public NodeDiagnosis? Nodes { get; init; }

    /// <summary>The group is a single pod: the node diagnosis alone is the message, as kube-scheduler writes it.</summary>
    public bool NodesOnly { get; init; }

    /// <summary>A reservation for another gang that holds nodes this group could have used.</summary>
    public Reservation? HeldFor { get; init; }

    /// <summary>Pods of the group already bound when the decision was made (they count toward minima).</summary>
    public int AlreadyBound { get; init; }

    /// <summary>The PodScheduled condition reason for the code (kube's "Unschedulable" for both refusal kinds).</summary>
    public string Reason => StatusCodes.ConditionReason(Code);

    /// <summary>The message users read in events, conditions, explain and whatif; null when admitted.</summary>
    public string? Message => Admitted ? null : DecisionText.Render(this);

    /// <summary>Each unplaced pod with why: the group's message, or that an extra found no room.</summary>
    public ImmutableArray<PodFailure> Unplaced
    {
        get
        {
            if (NotPlaced.IsDefaultOrEmpty) return [];
            var reason = Admitted ? DecisionText.ExtraNotPlaced : Message ?? "";
            return [.. NotPlaced.Select(p => new PodFailure(p, reason))];
        }
    }
}
