namespace Quorum.Benchmarks.Simulation;

/// <summary>A pod of a group (by index in <see cref="GroupState.Members"/>) and the node a scheduler model gave it.</summary>
public readonly record struct Placement(GroupState Group, int Pod, string Node);
