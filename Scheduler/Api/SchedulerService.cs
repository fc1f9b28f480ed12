using Grpc.Core;
using Quorum.Api.V1Alpha1;
using Quorum.Hosting;
using Quorum.Scheduling;

namespace Quorum.Api;

/// <summary>
/// quorum.v1alpha1.Scheduler: validates each request on the caller's thread, checks the caller may
/// ask it (<see cref="ApiAccess"/>), and has the question answered on the scheduling loop's thread.
/// </summary>
public sealed class SchedulerService(SchedulerState state, ApiAccess access, WhatIfWorkspace workspace, TimeProvider time) : V1Alpha1.Scheduler.SchedulerBase
{
    /// <summary>A loop that has not answered by then is stuck or stopping; the caller should not wait on.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    public override async Task<ExplainResponse> Explain(ExplainRequest request, ServerCallContext context)
    {
        var target = ExplainQuery.Validate(request);
        await access.AuthorizeAsync(context, target.IsPod ? ApiAccess.GetPod(target.Key) : ApiAccess.GetPodGroup(target.Key)).ConfigureAwait(false);
        return await AskAsync(view => ExplainQuery.Answer(view, state.Insight, target), context).ConfigureAwait(false);
    }

    public override async Task<WhatIfResponse> WhatIf(WhatIfRequest request, ServerCallContext context)
    {
        // Authorized before the objects are built: reading first is bounded and cheap (LiveWhatIf.Read).
        var input = LiveWhatIf.Read(request);
        foreach (var ns in input.Namespaces) await access.AuthorizeAsync(context, ApiAccess.CreatePods(ns)).ConfigureAwait(false);
        var set = input.Build();
        using var turn = await workspace.TakeTurnAsync(context.CancellationToken).ConfigureAwait(false);
        var prepared = await AskAsync(view => LiveWhatIf.Prepare(view, set, workspace.Snapshot), context).ConfigureAwait(false);
        return LiveWhatIf.Evaluate(prepared, time);
    }

    public override async Task<CapacityResponse> Capacity(CapacityRequest request, ServerCallContext context)
    {
        await access.AuthorizeAsync(context, ApiAccess.ListNodes).ConfigureAwait(false);
        return await AskAsync(view => CapacityQuery.Answer(view, state.Insight, request), context).ConfigureAwait(false);
    }

    private async Task<T> AskAsync<T>(Func<LoopView, T> question, ServerCallContext context)
    {
        if (!state.Synced) throw ApiErrors.Unavailable("the scheduler has not listed the cluster yet; retry in a moment");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        try
        {
            return await state.Insight.AskAsync(question, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw ApiErrors.Unavailable($"the scheduling loop did not answer within {AnswerTimeout.TotalSeconds:0} s");
        }
    }
}
