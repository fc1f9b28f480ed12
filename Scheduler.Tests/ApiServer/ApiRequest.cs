namespace Quorum.Tests.ApiServer;

/// <summary>One request as the stand-in received it (kube audit's verb, path without query, the raw query).</summary>
public sealed record ApiRequest(string Method, string Path, string Query, string Verb)
{
    /// <summary>The HTTP status answered (0 while in flight; 200 for a watch whose stream started).</summary>
    public int StatusCode { get; internal set; }

    public override string ToString() => $"{Method} {Path}{Query} -> {StatusCode}";
}
