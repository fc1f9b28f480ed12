using System.Text.Json.Nodes;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// scheduling.k8s.io/v1 PriorityClasses (pkg/registry/scheduling/priorityclass and the Priority
/// admission plugin): value and preemptionPolicy are immutable, one global default at most, user
/// classes capped at one billion, and the two system classes a fresh cluster has cannot be deleted.
/// </summary>
internal sealed class PriorityClassStrategy : ResourceKind
{
    public const string Resource = "priorityclasses.scheduling.k8s.io";

    private const long HighestUserDefinablePriority = 1_000_000_000;

    public static readonly (string Name, long Value, string Description)[] SystemClasses =
    [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    public override Type ModelType => typeof(V1PriorityClass);

    public override void Default(JsonObject obj, ApiContext ctx) => obj["preemptionPolicy"] ??= "PreemptLowerPriority";

    public override List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx)
    {
        var errs = base.ValidateCreate(obj, ctx);
        var name = JsonObjects.Name(obj);
        var value = JsonObjects.Long(obj["value"]) ?? 0;
        var isSystem = SystemClasses.Any(s => s.Name == name && s.Value == value);
        if (!isSystem && name.StartsWith("system-", StringComparison.Ordinal))
            errs.Add(FieldError.Forbidden("metadata.name", "priority class names with 'system-' prefix are reserved"));
        if (!isSystem && value > HighestUserDefinablePriority)
            errs.Add(FieldError.Forbidden("value", $"maximum allowed value of a user defined priority is {HighestUserDefinablePriority}"));
        return errs;
    }

    public override List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx)
    {
        var errs = base.ValidateUpdate(obj, old, ctx);
        if (!JsonNode.DeepEquals(obj["value"], old["value"])) errs.Add(FieldError.Forbidden("value", "may not be changed in an update."));
        if (!JsonNode.DeepEquals(obj["preemptionPolicy"], old["preemptionPolicy"])) errs.Add(FieldError.Invalid("preemptionPolicy", obj["preemptionPolicy"]?.DeepClone(), "field is immutable"));
        return errs;
    }

    /// <summary>Priority admission: a second globalDefault class is refused.</summary>
    public override void ValidateAdmission(JsonObject obj, ApiContext ctx)
    {
        if (JsonObjects.Bool(obj["globalDefault"]) != true) return;
        var name = JsonObjects.Name(obj);
        var other = ctx.Store.All(Resource).Select(p => p.Value)
            .FirstOrDefault(p => JsonObjects.Bool(p["globalDefault"]) == true && JsonObjects.Name(p) != name);
        if (other is not null)
            throw StatusResponses.Forbidden(this, name, $"PriorityClass {JsonObjects.Name(other)} is already marked as default. Only one default can exist");
    }

    public override void CheckDelete(JsonObject obj)
    {
        var name = JsonObjects.Name(obj);
        if (SystemClasses.Any(s => s.Name == name))
            throw StatusResponses.Forbidden(this, name, "this is a system priority class and cannot be deleted");
    }

    public static JsonObject System((string Name, long Value, string Description) c) => new()
    {
        ["kind"] = "PriorityClass",
        ["apiVersion"] = "scheduling.k8s.io/v1",
        ["metadata"] = new JsonObject { ["name"] = c.Name },
        ["value"] = c.Value,
        ["description"] = c.Description,
        ["preemptionPolicy"] = "PreemptLowerPriority",
    };
}
