namespace Recurring.Core.Data.Synthetic;

/// <summary>
/// The hidden model behind the synthetic clicks. It gives each event a score z, and the click probability is
/// σ(bias + scale · z) once <see cref="TeacherCalibration"/> has chosen scale and bias.
/// </summary>
/// <remarks>
/// z = first-order + crosses + dense + dense×categorical, where
/// <list type="bullet">
/// <item>first-order = FirstOrderStrength / √26 · Σₜ m(rₜ) wₜ(vₜ), one weight per categorical value;</item>
/// <item>crosses = CrossStrength / √(P·k) · Σ₍ₐ,ᵦ₎ m(rₐ) m(rᵦ) ⟨eₐ(vₐ), eᵦ(vᵦ)⟩ over P fixed table pairs with k-dimensional embeddings;</item>
/// <item>dense = DenseStrength / √13 · Σⱼ dⱼ fⱼ(xⱼ), with fⱼ a centred log1p of the count;</item>
/// <item>dense×categorical = DenseCategoricalCrossStrength · f_J(x_J) · m(r_T) u_T(v_T) for one dense feature J and one table T.</item>
/// </list>
/// The normalisations give each term roughly the spread of its strength. m(r) = R / (R + r − 1) fades the
/// effect of rare values (R = EffectHalfRank); missing features and IDs outside a vocabulary contribute nothing.
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

    private readonly CategoricalVocabulary[] _vocabularies;
    private readonly DenseFeatureShape[] _denseShapes;
    private readonly ulong[] _tableKeys;
    private readonly (int First, int Second)[] _crossedPairs;
    private readonly bool[] _isCrossed;
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

    public ClickTeacher(SyntheticDataOptions options, CategoricalVocabulary[] vocabularies, DenseFeatureShape[] denseShapes, ulong key)
    {
        _vocabularies = vocabularies;
        _denseShapes = denseShapes;
        _dimension = options.CrossEmbeddingDimension;
        _effectHalfRank = options.EffectHalfRank;
        _radiansPerEvent = options.RotationPerMillionEvents / 1_000_000;

        ulong tableKeys = CounterHash.Derive(key, TableKeysStream);
        _tableKeys = Enumerable.Range(0, vocabularies.Length).Select(table => CounterHash.Derive(tableKeys, (ulong)table)).ToArray();

        _crossedPairs = ChooseCrossedPairs(vocabularies.Length, options.CrossPairCount, CounterHash.Derive(key, CrossPairsStream));
        _isCrossed = new bool[vocabularies.Length];
        foreach (var (first, second) in _crossedPairs)
            _isCrossed[first] = _isCrossed[second] = true;

        ulong denseWeights = CounterHash.Derive(key, DenseWeightsStream);
        _denseWeights = Enumerable.Range(0, denseShapes.Length).Select(feature => CounterHash.GaussianAt(denseWeights, (ulong)feature)).ToArray();

        ulong denseCross = CounterHash.Derive(key, DenseCrossStream);
        _denseCrossFeature = (int)(CounterHash.At(denseCross, 0) % (ulong)denseShapes.Length);
        _denseCrossTable = (int)(CounterHash.At(denseCross, 1) % (ulong)vocabularies.Length);

        _firstOrderCoefficient = options.FirstOrderStrength / Math.Sqrt(vocabularies.Length);
        _crossCoefficient = _crossedPairs.Length == 0 ? 0 : options.CrossStrength / Math.Sqrt(_crossedPairs.Length * _dimension);
        _denseCoefficient = options.DenseStrength / Math.Sqrt(denseShapes.Length);
        _denseCrossCoefficient = options.DenseCategoricalCrossStrength;
    }

    /// <summary>The score z of <paramref name="features"/> as the teacher sees them at event <paramref name="eventIndex"/>.</summary>
    public double Score(CriteoRecord features, long eventIndex)
    {
        var (sin, cos) = Math.SinCos(_radiansPerEvent * eventIndex);
        // Tables whose value is missing or unknown keep a zero embedding; the language leaves stackalloc memory unspecified.
        Span<double> embeddings = stackalloc double[_vocabularies.Length * _dimension];
        embeddings.Clear();

        double firstOrder = 0;
        double denseCrossWeight = 0;
        for (int table = 0; table < _vocabularies.Length; table++)
        {
            if (features.Categorical[table] is not ulong id || id > uint.MaxValue)
                continue;
            int rank = _vocabularies[table].RankOf((uint)id, eventIndex);
            if (rank == 0)
                continue;

            double effect = _effectHalfRank / (_effectHalfRank + rank - 1);
            ulong valueKey = CounterHash.Derive(_tableKeys[table], id);
            firstOrder += effect * Parameter(valueKey, FirstOrderParameter, cos, sin);
            if (table == _denseCrossTable)
                denseCrossWeight = effect * Parameter(valueKey, DenseCrossParameter, cos, sin);
            if (_isCrossed[table])
            {
                var embedding = embeddings.Slice(table * _dimension, _dimension);
                for (int component = 0; component < _dimension; component++)
                    embedding[component] = effect * Parameter(valueKey, FirstEmbeddingParameter + component, cos, sin);
            }
        }

        double crosses = 0;
        foreach (var (first, second) in _crossedPairs)
        {
            var firstEmbedding = embeddings.Slice(first * _dimension, _dimension);
            var secondEmbedding = embeddings.Slice(second * _dimension, _dimension);
            for (int component = 0; component < _dimension; component++)
                crosses += firstEmbedding[component] * secondEmbedding[component];
        }

        double dense = 0;
        double denseCrossSignal = 0;
        for (int feature = 0; feature < _denseShapes.Length; feature++)
        {
            if (features.Dense[feature] is not double value)
                continue;
            double signal = _denseShapes[feature].TeacherSignal(value);
            dense += _denseWeights[feature] * signal;
            if (feature == _denseCrossFeature)
                denseCrossSignal = signal;
        }

        return _firstOrderCoefficient * firstOrder
            + _crossCoefficient * crosses
            + _denseCoefficient * dense
            + _denseCrossCoefficient * denseCrossSignal * denseCrossWeight;
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
