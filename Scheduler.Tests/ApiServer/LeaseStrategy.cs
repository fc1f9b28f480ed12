using System.Text.Json.Nodes;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>coordination.k8s.io/v1 Leases (pkg/registry/coordination/lease): plain objects with a little spec validation.</summary>
internal sealed class LeaseStrategy : ResourceKind
{
    public override Type ModelType => typeof(V1Lease);

    /// <summary>spec is a non-pointer struct: Go writes it even when empty.</summary>
    public override void Default(JsonObject obj, ApiContext ctx) => obj["spec"] ??= new JsonObject();

    public override List<FieldError> ValidateCreate(JsonObject obj, ApiContext ctx) => Validate(obj, base.ValidateCreate(obj, ctx));

    public override List<FieldError> ValidateUpdate(JsonObject obj, JsonObject old, ApiContext ctx) => Validate(obj, base.ValidateUpdate(obj, old, ctx));

    private static List<FieldError> Validate(JsonObject obj, List<FieldError> errs)
    {
        if (JsonObjects.Long(obj["spec"]?["leaseDurationSeconds"]) is { } d && d <= 0)
            errs.Add(FieldError.Invalid("spec.leaseDurationSeconds", d, "must be greater than 0"));
        if (JsonObjects.Long(obj["spec"]?["leaseTransitions"]) is { } t && t < 0)
            errs.Add(FieldError.Invalid("spec.leaseTransitions", t, "must be greater than or equal to 0"));
        return errs;
    }
}
