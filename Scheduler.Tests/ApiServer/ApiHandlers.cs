using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// The request pipeline: record the request, apply injected faults, route, dispatch by verb, and answer
/// errors with a metav1.Status. The verbs live in the other parts of this class (reads, writes,
/// binding, controller emulation, discovery).
/// </summary>
internal sealed partial class ApiHandlers(ObjectStore store, ResourceKinds kinds, KubeApiStandInOptions options, FaultInjection faults, CancellationToken lifetime)
{
    private readonly ConcurrentQueue<ApiRequest> _requests = new();

    public IReadOnlyList<ApiRequest> Requests => _requests.ToArray();

    public void ClearRequests() => _requests.Clear();

    /// <summary>The port the server listens on (for discovery's serverAddressByClientCIDRs).</summary>
    public string HostAndPort { get; set; } = "127.0.0.1";

    public async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var path = request.Path.Value ?? "/";
        RequestRouter.TryParse(path, kinds, out var target);
        var watchParam = request.Query.TryGetValue("watch", out var w) && !(w[0] == "0" || string.Equals(w[0], "false", StringComparison.OrdinalIgnoreCase));
        var record = new ApiRequest(request.Method, path, request.QueryString.Value ?? "", RequestRouter.Verb(request.Method, target, watchParam));
        _requests.Enqueue(record);
        ctx.Response.Headers["Audit-Id"] = Guid.NewGuid().ToString();
        var api = new ApiContext(store, options);
        try
        {
            if (faults.ForRequest(record) is { } fault) throw fault;
            if (target is null)
            {
                if (await TryReviewAsync(ctx, path, api).ConfigureAwait(false)) return;
                if (request.Method == "GET" && Discovery(path) is { } doc) await WriteJson(ctx, 200, doc, api).ConfigureAwait(false);
                else throw StatusResponses.PathNotFound();
                return;
            }
            await DispatchAsync(ctx, target, api).ConfigureAwait(false);
        }
        catch (ApiException e) when (!ctx.Response.HasStarted)
        {
            if (e.RetryAfterSeconds is { } retry) ctx.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            await WriteJson(ctx, e.Code, e.ToStatus(), api).ConfigureAwait(false);
        }
        finally
        {
            record.StatusCode = ctx.Response.StatusCode;
        }
    }

    private async Task DispatchAsync(HttpContext ctx, ApiTarget t, ApiContext api)
    {
        var method = ctx.Request.Method;
        var sub = t.Subresource;
        if (sub is not null && !(sub == "status" && t.Kind.HasStatus) && !(sub == "binding" && t.Kind is PodStrategy))
            throw StatusResponses.PathNotFound();

        switch (method)
        {
            case "GET" when t.IsCollection || t.WatchPath:
                {
                    var options1 = ListOptions.From(ctx.Request.Query);
                    if (options1.Watch || t.WatchPath) await WatchAsync(ctx, t, options1).ConfigureAwait(false);
                    else await WriteJson(ctx, 200, await ListAsync(t, options1).ConfigureAwait(false), api).ConfigureAwait(false);
                    break;
                }
            case "GET" when sub is null or "status":
                await WriteJson(ctx, 200, Get(t), api).ConfigureAwait(false);
                break;
            case "POST" when t.IsCollection:
                {
                    var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                    var created = store.Atomically(() => Create(t.Kind, t.Namespace, body, api, DryRun(ctx)));
                    await WriteJson(ctx, 201, created, api).ConfigureAwait(false);
                    break;
                }
            case "POST" when sub == "binding":
                {
                    var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                    await WriteJson(ctx, 201, Bind(t, body, api, DryRun(ctx)), api).ConfigureAwait(false);
                    break;
                }
            case "PUT" when !t.IsCollection && sub is null or "status":
                {
                    var body = await ReadObjectAsync(ctx).ConfigureAwait(false);
                    var (code, result) = store.Atomically(() => Replace(t, body, api, DryRun(ctx)));
                    await WriteJson(ctx, code, result, api).ConfigureAwait(false);
                    break;
                }
            case "PATCH" when !t.IsCollection && sub is null or "status":
                {
                    var type = PatchType(ctx, t.Kind);
                    var patch = await ReadJsonAsync(ctx).ConfigureAwait(false);
                    var result = store.Atomically(() => Patch(t, type, patch, api, DryRun(ctx)));
                    await WriteJson(ctx, 200, result, api).ConfigureAwait(false);
                    break;
                }
            case "DELETE" when !t.IsCollection && sub is null:
                {
                    var deleteOptions = await ReadDeleteOptionsAsync(ctx).ConfigureAwait(false);
                    var result = store.Atomically(() => Delete(t.Kind, t.Namespace, t.Name!, deleteOptions, api, DryRun(ctx)));
                    await WriteJson(ctx, 200, result, api).ConfigureAwait(false);
                    break;
                }
            case "DELETE" when t.IsCollection && sub is null:
                {
                    var deleteOptions = await ReadDeleteOptionsAsync(ctx).ConfigureAwait(false);
                    var listOptions = ListOptions.From(ctx.Request.Query);
                    var result = store.Atomically(() => DeleteCollection(t, listOptions, deleteOptions, api, DryRun(ctx)));
                    await WriteJson(ctx, 200, result, api).ConfigureAwait(false);
                    break;
                }
            default:
                throw StatusResponses.MethodNotAllowed();
        }
    }

    private static bool DryRun(HttpContext ctx)
    {
        if (!ctx.Request.Query.TryGetValue("dryRun", out var values)) return false;
        foreach (var v in values)
        {
            if (v != "All") throw StatusResponses.BadRequest($"Invalid dryRun value: {v}");
        }
        return values.Count > 0;
    }

    private static async Task<string> ReadBodyAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        return await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext ctx)
    {
        var contentType = (ctx.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (contentType is not ("application/json" or "*/*" or ""))
            throw StatusResponses.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/cbor");
        return JsonObjects.ParseObject(await ReadBodyAsync(ctx).ConfigureAwait(false));
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext ctx)
    {
        var text = await ReadBodyAsync(ctx).ConfigureAwait(false);
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw StatusResponses.BadRequest($"error decoding patch: {e.Message}");
        }
    }

    /// <summary>DeleteOptions from the body (if any) and the query string, query winning as in the real handler.</summary>
    private static async Task<JsonObject> ReadDeleteOptionsAsync(HttpContext ctx)
    {
        var text = await ReadBodyAsync(ctx).ConfigureAwait(false);
        var options = string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonObjects.ParseObject(text);
        var q = ctx.Request.Query;
        if (q.TryGetValue("gracePeriodSeconds", out var g) && long.TryParse(g[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var grace))
            options["gracePeriodSeconds"] = grace;
        if (q.TryGetValue("propagationPolicy", out var p)) options["propagationPolicy"] = p[0];
        return options;
    }

    private static async Task WriteJson(HttpContext ctx, int code, JsonObject body, ApiContext api)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        foreach (var warning in api.Warnings.Distinct(StringComparer.Ordinal))
            ctx.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        await ctx.Response.WriteAsync(JsonObjects.Serialize(body), ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>NamespaceLifecycle admission for creates: the namespace must exist and not be terminating.</summary>
    private void CheckNamespaceAdmission(ResourceKind kind, string ns, string name)
    {
        var nsObj = store.Get("namespaces", ns) ?? throw StatusResponses.NamespaceNotFound(ns);
        if (JsonObjects.Str(nsObj["status"]?["phase"]) == "Terminating")
        {
            throw StatusResponses.Forbidden(kind, name, $"unable to create new content in namespace {ns} because it is being terminated",
                new JsonArray(new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = $"namespace {ns} is being terminated", ["field"] = "metadata.namespace" }));
        }
    }
}
