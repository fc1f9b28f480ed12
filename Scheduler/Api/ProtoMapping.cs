using Google.Protobuf.WellKnownTypes;
using Quorum.Api.V1Alpha1;
using Quorum.Core.Gangs;
using Quorum.Core.Model;

namespace Quorum.Api;

/// <summary>Core records to their messages, shared by Explain and WhatIf.</summary>
internal static class ProtoMapping
{
    public static ObjectRef Ref(ObjectKey key) => new() { Namespace = key.Namespace, Name = key.Name };

    /// <summary>A request's reference as a key: the namespace defaults as kubectl's does; the name must be there.</summary>
    public static ObjectKey Key(ObjectRef? r, string field)
    {
        if (r is null || r.Name.Length == 0) throw ApiErrors.Invalid($"{field}.name", "must be set");
        if (r.Name.Length > 253) throw ApiErrors.Invalid($"{field}.name", "must be at most 253 characters");
        if (r.Namespace.Length > 63) throw ApiErrors.Invalid($"{field}.namespace", "must be at most 63 characters");
        return new ObjectKey(r.Namespace.Length == 0 ? "default" : r.Namespace, r.Name);
    }

    public static Timestamp Time(DateTimeOffset t) => Timestamp.FromDateTimeOffset(t);

    /// <summary>The decision's failures, with figures per resource where the shortfall was computed (one per failure, in order).</summary>
    public static IEnumerable<LevelReason> Levels(GangDecision decision, IReadOnlyList<LevelShortfall> shortfalls)
    {
        for (var i = 0; i < decision.Failures.Length; i++)
        {
            var f = decision.Failures[i];
            var reason = new LevelReason
            {
                SubGroup = f.SubGroup,
                Level = f.Level,
                Needed = f.Needed,
                BestFit = f.BestFit,
                Unit = f.Unit,
                Message = f.Message,
            };
            if (i < shortfalls.Count && shortfalls[i].Failure == f)
            {
                reason.BestDomain = shortfalls[i].BestDomain ?? "";
                reason.Resources.AddRange(shortfalls[i].Resources.Select(r =>
                    new V1Alpha1.ResourceShortfall { Resource = r.Resource, Needed = r.Needed, BestAvailable = r.BestAvailable }));
            }
            yield return reason;
        }
    }
}
