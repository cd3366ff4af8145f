namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// The hidden model behind the synthetic clicks. It gives each event a score z, and the click probability is
/// σ(bias + scale · z) once <see cref="TeacherCalibration"/> has chosen scale and bias.
/// </summary>
/// <remarks>
/// z = first-order + crosses + dense + dense×categorical, where, with T categorical (sparse) and D dense features
/// (26 and 13 for Criteo's layout),
/// <list type="bullet">
/// <item>first-order = FirstOrderStrength / √T · Σₜ m(rₜ) wₜ(vₜ), one weight per categorical value;</item>
/// <item>crosses = CrossStrength / √(P·k) · Σ₍ₐ,ᵦ₎ m(rₐ) m(rᵦ) ⟨eₐ(vₐ), eᵦ(vᵦ)⟩ over P fixed table pairs with k-dimensional
/// embeddings (P = CrossPairCount, or every pair when there are fewer);</item>
/// <item>dense = DenseStrength / √D · Σⱼ dⱼ fⱼ(xⱼ), with fⱼ the feature's signal (<see cref="DenseFeatureShape.TeacherSignal"/>,
/// for a count a centred log1p);</item>
/// <item>dense×categorical = DenseCategoricalCrossStrength · f_J(x_J) · m(r_T) u_T(v_T) for one dense feature J and one table T;</item>
/// <item>nonlinear = NonlinearStrength · √(2/H) · Σₕ cₕ sin(ω ⟨uₕ, f(x)⟩ + φₕ) over H random unit directions uₕ of the D
/// dense signals; for the odd h the phase φₕ = φₕ(v_S) is drawn per value of one small single-valued table S, a dense × categorical
/// interaction of rank H that the model's 16-dimensional dot products cannot hold, so its MLPs must (<see cref="SinusoidTerm"/>);</item>
/// <item>new effect = a second, independent term of the same form with NewEffectStrength, from event NewEffectFromEvent on
/// (drift: a nonlinear dense effect that appears).</item>
/// </list>
/// The normalisations give each term roughly the spread of its strength. m(r) = R / (R + r − 1) fades the
/// effect of rare values (R = EffectHalfRank); missing features and IDs outside a vocabulary contribute nothing.
/// <para>
/// A multi-valued feature pools the effects of its values as the model pools their embeddings: its weight, embedding
/// and dense-cross weight are the mean over the values (Pooling mean) or their sum divided by √((MaxValues + 1) / 2),
/// the root of the mean list length, so that a sum has about the spread of one value (Pooling sum). A single-valued
/// feature is a bag of one.
/// </para>
/// <para>
/// Weights and embedding components are never stored: each is a Gaussian hashed from (seed, table, ID,
/// component), so ID spaces are unbounded. Drift rotates every categorical parameter between two independent
/// draws, w(v, θ) = cos θ · a(v) + sin θ · b(v) with θ proportional to the event index; both draws are standard
/// normal, so the teacher's statistics stay the same while what it says about each value changes. The dense
/// weights do not drift.
/// </para>
/// </remarks>
internal sealed class ClickTeacher
{
    // Each categorical parameter c occupies hash components 2c (the "a" draw) and 2c + 1 (the "b" draw).
    private const int FirstOrderParameter = 0;
    private const int DenseCrossParameter = 1;
    private const int FirstEmbeddingParameter = 2;

    private const ulong TableKeysStream = 0;
    private const ulong CrossPairsStream = 1;
    private const ulong DenseWeightsStream = 2;
    private const ulong DenseCrossStream = 3;
    private const ulong NonlinearStream = 4;
    private const ulong NewEffectStream = 5;

    /// <summary>The small table whose values set the phases of the nonlinear term: at most this many values.</summary>
    private const int NonlinearTableMaxCardinality = 1_000;

    /// <summary>Scores needing more scratch doubles than this take them from the heap rather than the stack.</summary>
    private const int MaxStackDoubles = 1_024;

    private readonly CategoricalVocabulary[] _vocabularies;
    private readonly DenseFeatureShape[] _denseShapes;
    private readonly ulong[] _tableKeys;
    private readonly bool[] _poolsMean;
    private readonly double[] _sumDivisors;
    private readonly (int First, int Second)[] _crossedSlotPairs;
    private readonly int[] _crossSlots;
    private readonly int _crossedTableCount;
    private readonly double[] _denseWeights;
    private readonly int _denseCrossFeature;
    private readonly int _denseCrossTable;
    private readonly int _dimension;
    private readonly double _effectHalfRank;
    private readonly double _radiansPerEvent;
    private readonly double _firstOrderCoefficient;
    private readonly double _crossCoefficient;
    private readonly double _denseCoefficient;
    private readonly double _denseCrossCoefficient;
    private readonly SinusoidTerm? _nonlinear;
    private readonly SinusoidTerm? _newEffect;
    private readonly long _newEffectFromEvent;

    /// <param name="sparse">The sparse features, in the order of <paramref name="vocabularies"/>: whether and how each pools its values.</param>
    public ClickTeacher(SyntheticDataOptions options, IReadOnlyList<SparseFeature> sparse, CategoricalVocabulary[] vocabularies, DenseFeatureShape[] denseShapes, ulong key)
    {
        _vocabularies = vocabularies;
        _denseShapes = denseShapes;
        _dimension = options.CrossEmbeddingDimension;
        _effectHalfRank = options.EffectHalfRank;
        _radiansPerEvent = options.RotationPerMillionEvents / 1_000_000;
        _poolsMean = sparse.Select(feature => feature.Multi && feature.Pooling == Pooling.Mean).ToArray();
        _sumDivisors = sparse.Select(feature => feature.Multi ? Math.Sqrt((feature.MaxValues + 1) / 2.0) : 1).ToArray();

        ulong tableKeys = CounterHash.Derive(key, TableKeysStream);
        _tableKeys = Enumerable.Range(0, vocabularies.Length).Select(table => CounterHash.Derive(tableKeys, (ulong)table)).ToArray();

        int tablePairs = vocabularies.Length * (vocabularies.Length - 1) / 2;
        var crossedPairs = ChooseCrossedPairs(vocabularies.Length, Math.Min(options.CrossPairCount, tablePairs), CounterHash.Derive(key, CrossPairsStream));
        // Only crossed tables need embeddings while scoring: each gets a slot, in table order.
        _crossSlots = Enumerable.Repeat(-1, vocabularies.Length).ToArray();
        foreach (int table in crossedPairs.SelectMany(pair => new[] { pair.First, pair.Second }).Distinct().Order())
            _crossSlots[table] = _crossedTableCount++;
        _crossedSlotPairs = crossedPairs.Select(pair => (_crossSlots[pair.First], _crossSlots[pair.Second])).ToArray();

        ulong denseWeights = CounterHash.Derive(key, DenseWeightsStream);
        _denseWeights = Enumerable.Range(0, denseShapes.Length).Select(feature => CounterHash.GaussianAt(denseWeights, (ulong)feature)).ToArray();

        ulong denseCross = CounterHash.Derive(key, DenseCrossStream);
        _denseCrossFeature = (int)(CounterHash.At(denseCross, 0) % (ulong)denseShapes.Length);
        _denseCrossTable = (int)(CounterHash.At(denseCross, 1) % (ulong)vocabularies.Length);

        _firstOrderCoefficient = options.FirstOrderStrength / Math.Sqrt(vocabularies.Length);
        _crossCoefficient = crossedPairs.Length == 0 ? 0 : options.CrossStrength / Math.Sqrt(crossedPairs.Length * _dimension);
        _denseCoefficient = options.DenseStrength / Math.Sqrt(denseShapes.Length);
        _denseCrossCoefficient = options.DenseCategoricalCrossStrength;

        ulong nonlinear = CounterHash.Derive(key, NonlinearStream);
        var smallTables = Enumerable.Range(0, vocabularies.Length)
            .Where(t => !sparse[t].Multi && vocabularies[t].Cardinality is > 2 and <= NonlinearTableMaxCardinality).ToArray();
        int nonlinearTable = smallTables.Length == 0 ? -1 : smallTables[CounterHash.At(nonlinear, ulong.MaxValue - 1) % (ulong)smallTables.Length];
        if (options.NonlinearStrength != 0)
            _nonlinear = new SinusoidTerm(nonlinear, options.NonlinearStrength, options.NonlinearUnits, options.NonlinearFrequency, denseShapes.Length, nonlinearTable);
        // The new effect is an independent draw of the same form, coupled with the same small table.
        if (options.NewEffectStrength != 0)
            _newEffect = new SinusoidTerm(CounterHash.Derive(key, NewEffectStream), options.NewEffectStrength, options.NonlinearUnits, options.NonlinearFrequency,
                denseShapes.Length, nonlinearTable);
        _newEffectFromEvent = options.NewEffectFromEvent;
    }

    /// <summary>The score z of <paramref name="features"/> as the teacher sees them at event <paramref name="eventIndex"/>.</summary>
    public double Score<TFeatures>(TFeatures features, long eventIndex) where TFeatures : ISyntheticEventFeatures
    {
        var (sin, cos) = Math.SinCos(_radiansPerEvent * eventIndex);
        // Tables whose values are missing or unknown keep a zero embedding; the language leaves stackalloc memory unspecified.
        int embeddingLength = _crossedTableCount * _dimension;
        Span<double> embeddings = embeddingLength <= MaxStackDoubles ? stackalloc double[embeddingLength] : new double[embeddingLength];
        embeddings.Clear();

        double firstOrder = 0;
        double denseCrossWeight = 0;
        for (int table = 0; table < _vocabularies.Length; table++)
        {
            int count = features.Count(table);
            if (count == 0)
                continue;
            int slot = _crossSlots[table];
            var embedding = slot < 0 ? Span<double>.Empty : embeddings.Slice(slot * _dimension, _dimension);
            double weight = 0;
            double crossWeight = 0;
            for (int index = 0; index < count; index++)
            {
                if (!features.TryValue(table, index, out ulong id) || id > uint.MaxValue)
                    continue;
                int rank = _vocabularies[table].RankOf((uint)id, eventIndex);
                if (rank == 0)
                    continue;

                double effect = _effectHalfRank / (_effectHalfRank + rank - 1);
                ulong valueKey = CounterHash.Derive(_tableKeys[table], id);
                weight += effect * Parameter(valueKey, FirstOrderParameter, cos, sin);
                if (table == _denseCrossTable)
                    crossWeight += effect * Parameter(valueKey, DenseCrossParameter, cos, sin);
                for (int component = 0; component < embedding.Length; component++)
                    embedding[component] += effect * Parameter(valueKey, FirstEmbeddingParameter + component, cos, sin);
            }

            // A bag of one divides by 1, which changes no bit.
            double pool = _poolsMean[table] ? count : _sumDivisors[table];
            firstOrder += weight / pool;
            if (table == _denseCrossTable)
                denseCrossWeight = crossWeight / pool;
            for (int component = 0; component < embedding.Length; component++)
                embedding[component] /= pool;
        }

        double crosses = 0;
        foreach (var (first, second) in _crossedSlotPairs)
        {
            var firstEmbedding = embeddings.Slice(first * _dimension, _dimension);
            var secondEmbedding = embeddings.Slice(second * _dimension, _dimension);
            for (int component = 0; component < _dimension; component++)
                crosses += firstEmbedding[component] * secondEmbedding[component];
        }

        double dense = 0;
        double denseCrossSignal = 0;
        Span<double> signals = _denseShapes.Length <= MaxStackDoubles ? stackalloc double[_denseShapes.Length] : new double[_denseShapes.Length];
        for (int feature = 0; feature < _denseShapes.Length; feature++)
        {
            signals[feature] = features.Dense(feature) is double value ? _denseShapes[feature].TeacherSignal(value) : 0;
            dense += _denseWeights[feature] * signals[feature];
            if (feature == _denseCrossFeature)
                denseCrossSignal = signals[feature];
        }

        double score = _firstOrderCoefficient * firstOrder
            + _crossCoefficient * crosses
            + _denseCoefficient * dense
            + _denseCrossCoefficient * denseCrossSignal * denseCrossWeight;
        if (_nonlinear is not null)
            score += _nonlinear.Value(signals, features);
        if (_newEffect is not null && eventIndex >= _newEffectFromEvent)
            score += _newEffect.Value(signals, features);
        return score;
    }

    /// <summary>Parameter <paramref name="parameter"/> of a value, rotated to the current angle.</summary>
    private static double Parameter(ulong valueKey, int parameter, double cos, double sin)
    {
        double start = cos * CounterHash.GaussianAt(valueKey, 2 * (ulong)parameter);
        // Without drift sin is 0: skip hashing the second draw, which would only be multiplied away.
        return sin == 0 ? start : start + sin * CounterHash.GaussianAt(valueKey, 2 * (ulong)parameter + 1);
    }

    /// <summary>A seeded choice of distinct table pairs (a partial Fisher–Yates shuffle of all of them).</summary>
    private static (int First, int Second)[] ChooseCrossedPairs(int tableCount, int pairCount, ulong key)
    {
        var pairs = new List<(int First, int Second)>();
        for (int first = 0; first < tableCount; first++)
            for (int second = first + 1; second < tableCount; second++)
                pairs.Add((first, second));

        for (int chosen = 0; chosen < pairCount; chosen++)
        {
            int pick = chosen + (int)(CounterHash.At(key, (ulong)chosen) % (ulong)(pairs.Count - chosen));
            (pairs[chosen], pairs[pick]) = (pairs[pick], pairs[chosen]);
        }
        return pairs.Take(pairCount).Order().ToArray();
    }
}
