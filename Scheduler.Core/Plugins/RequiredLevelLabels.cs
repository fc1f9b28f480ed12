using Quorum.Core.Framework;

namespace Quorum.Core.Plugins;

/// <summary>
/// A required topology level is a guarantee: a domain whose nodes lack the label of that level (or of
/// any level above it) is not one domain of it, so it may not hold the (sub-)group. Nodes without the
/// label of a merely preferred level stay eligible (as the level's "unlabelled" domain).
/// </summary>
public sealed class RequiredLevelLabels : IDomainFilter
{
    public string Name => "RequiredLevelLabels";

    public StatusCode Filter(LevelContext level, int domain) =>
        level.Level.RequiredDepth == 0 || level.Tree.LabelledDownTo(domain, level.Level.RequiredDepth) ? StatusCode.Success : StatusCode.Unresolvable;
}
