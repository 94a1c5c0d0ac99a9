// RUN: rat-opt %s -split-input-file -verify-diagnostics -rat-lower-to-loops | FileCheck %s
// RUN: not rat-opt %s -split-input-file -rat-lower-to-loops 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: rat-opt %s -split-input-file -verify-diagnostics -rat-lower-to-loops=parallel-loops | FileCheck %s --check-prefix=PAR

// The scan loops over [B, chunks, N]; each point runs its chunk's tokens
// [c * L, min(c * L + L, T)) with an f32 state (bf16 storage).

// CHECK-LABEL: func.func @chunk_scan(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: memref<2x37x24xbf16>, %[[X:[a-zA-Z0-9_]+]]: memref<2x37x24xbf16>, %[[OUT:[a-zA-Z0-9_]+]]: memref<2x37x24xbf16>)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG:     %[[T:.+]] = arith.constant 37 : index
// CHECK-DAG:     %[[L:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[CHUNKS:.+]] = arith.constant 10 : index
// CHECK-NOT:     rat.chunk_scan
// CHECK:         scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[C:.+]] = %{{.+}} to %[[CHUNKS]] step
// CHECK:             scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               %[[START:.+]] = arith.muli %[[C]], %[[L]] : index
// CHECK:               %[[NEXT:.+]] = arith.addi %[[START]], %[[L]] : index
// CHECK:               %[[END:.+]] = arith.minui %[[NEXT]], %[[T]] : index
// A whole chunk (L = 4 tokens): the 8 loads first, then the 4 steps, each
// stored; a shorter last chunk takes the loop.
// CHECK:               %[[LEN:.+]] = arith.subi %[[END]], %[[START]] : index
// CHECK:               %[[WHOLE:.+]] = arith.cmpi eq, %[[LEN]], %[[L]] : index
// CHECK:               scf.if %[[WHOLE]] {
// CHECK-COUNT-8:         memref.load %{{.+}}[%[[B]], %{{.+}}, %[[N]]] : memref<2x37x24xbf16>
// CHECK-NOT:             memref.load
// CHECK-COUNT-4:         memref.store %{{.+}}, %[[OUT]][%[[B]], %{{.+}}, %[[N]]] : memref<2x37x24xbf16>
// CHECK-NOT:             memref.load
// CHECK:               } else {
// CHECK:               scf.for %[[TOK:.+]] = %[[START]] to %[[END]] step %{{.+}} iter_args(%[[H:.+]] = %[[ZERO]]) -> (f32)
// CHECK:                 %[[GB:.+]] = memref.load %[[G]][%[[B]], %[[TOK]], %[[N]]] : memref<2x37x24xbf16>
// CHECK:                 %[[GF:.+]] = arith.extf %[[GB]] : bf16 to f32
// CHECK:                 %[[XB:.+]] = memref.load %[[X]][%[[B]], %[[TOK]], %[[N]]] : memref<2x37x24xbf16>
// CHECK:                 %[[XF:.+]] = arith.extf %[[XB]] : bf16 to f32
// CHECK:                 %[[CARRY:.+]] = arith.mulf %[[GF]], %[[H]] : f32
// CHECK:                 %[[KEEP:.+]] = arith.subf %[[ONE]], %[[GF]] : f32
// CHECK:                 %[[IN:.+]] = arith.mulf %[[KEEP]], %[[XF]] : f32
// CHECK:                 %[[NEW:.+]] = arith.addf %[[CARRY]], %[[IN]] : f32
// CHECK:                 %[[NEWB:.+]] = arith.truncf %[[NEW]] : f32 to bf16
// CHECK:                 memref.store %[[NEWB]], %[[OUT]][%[[B]], %[[TOK]], %[[N]]] : memref<2x37x24xbf16>
// CHECK:                 scf.yield %[[NEW]] : f32
// CHECK-NOT:     rat.chunk_scan
// parallel-loops: one scf.parallel over the same domain, the token loop
// inside stays sequential.
// PAR-LABEL:   func.func @chunk_scan(
// PAR-DAG:       %[[CHUNKS:.+]] = arith.constant 10 : index
// PAR-DAG:       %[[C0:.+]] = arith.constant 0 : index
// PAR-NOT:       scf.for
// PAR:           scf.parallel (%{{.+}}, %[[C:[a-zA-Z0-9_]+]], %{{.+}}) = (%[[C0]], %[[C0]], %[[C0]]) to (%{{.+}}, %[[CHUNKS]], %{{.+}})
// PAR:             %[[START:.+]] = arith.muli %[[C]], %{{.+}} : index
// PAR:             scf.for %{{.+}} = %[[START]] to %{{.+}} step %{{.+}} iter_args
// PAR:               memref.store
func.func @chunk_scan(%g: memref<2x37x24xbf16>, %x: memref<2x37x24xbf16>, %out: memref<2x37x24xbf16>) {
  rat.chunk_scan chunk_size = 4 ins(%g, %x : memref<2x37x24xbf16>, memref<2x37x24xbf16>) outs(%out : memref<2x37x24xbf16>)
  return
}

// -----

// Chunk attention: query token t (at s = t) in chunk c = s / L attends to the
// c + 1 keys j: the chunk-final states j * L + L - 1 for j < c and its own
// state s for j = c, with an online softmax (running max m, sum l, f32
// accumulator row of static size Dv on the stack). Head h reads query head h mod 2; the single
// key head is head 0. Default scale Dh^-0.5 = 0.25.

// CHECK-LABEL: func.func @chunk_attention(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: memref<1x2x8x16xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<1x1x8x16xf32>, %[[V:[a-zA-Z0-9_]+]]: memref<1x4x8x32xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<1x4x8x32xf32>)
// CHECK-DAG:     %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:     %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[DV:.+]] = arith.constant 32 : index
// CHECK-DAG:     %[[DH:.+]] = arith.constant 16 : index
// CHECK-DAG:     %[[HQ:.+]] = arith.constant 2 : index
// CHECK-DAG:     %[[LAST:.+]] = arith.constant 3 : index
// CHECK-DAG:     %[[L:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.for %[[B:.+]] = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:           scf.for %[[H:.+]] = %[[C0]] to %[[L]] step %[[C1]]
// CHECK:             scf.for %[[T:.+]] = %[[C0]] to %{{.+}} step %[[C1]]
// CHECK:               %[[CHUNK:.+]] = arith.divui %[[T]], %[[L]] : index
// CHECK:               %[[NKEYS:.+]] = arith.addi %[[CHUNK]], %[[C1]] : index
// CHECK:               %[[QH:.+]] = arith.remui %[[H]], %[[HQ]] : index
// CHECK:               %[[ACC:.+]] = memref.alloca() : memref<32xf32>
// CHECK:               scf.for %[[D:.+]] = %[[C0]] to %[[DV]] step %[[C1]] {
// CHECK-NEXT:            memref.store %[[ZERO]], %[[ACC]][%[[D]]] : memref<32xf32>
// CHECK:               %[[ML:.+]]:2 = scf.for %[[J:.+]] = %[[C0]] to %[[NKEYS]] step %[[C1]] iter_args(%[[M:.+]] = %[[NEGINF]], %[[SUM:.+]] = %[[ZERO]]) -> (f32, f32)
// CHECK:                 %[[JL:.+]] = arith.muli %[[J]], %[[L]] : index
// CHECK:                 %[[FINAL:.+]] = arith.addi %[[JL]], %[[LAST]] : index
// CHECK:                 %[[OWN:.+]] = arith.cmpi eq, %[[J]], %[[CHUNK]] : index
// CHECK:                 %[[ROW:.+]] = arith.select %[[OWN]], %[[T]], %[[FINAL]] : index
// CHECK:                 %[[DOT:.+]] = scf.for %[[E:.+]] = %[[C0]] to %[[DH]] step %[[C1]] iter_args(%[[P:.+]] = %[[ZERO]]) -> (f32)
// CHECK:                   memref.load %[[Q]][%[[B]], %[[QH]], %[[T]], %[[E]]]
// CHECK:                   memref.load %[[K]][%[[B]], %[[C0]], %[[ROW]], %[[E]]]
// CHECK:                 %[[S:.+]] = arith.mulf %[[DOT]], %[[SCALE]] : f32
// CHECK:                 %[[MNEW:.+]] = arith.maximumf %[[M]], %[[S]] : f32
// CHECK:                 %[[MDIFF:.+]] = arith.subf %[[M]], %[[MNEW]] : f32
// CHECK:                 %[[CORR:.+]] = math.exp %[[MDIFF]] : f32
// CHECK:                 %[[SDIFF:.+]] = arith.subf %[[S]], %[[MNEW]] : f32
// CHECK:                 %[[PROB:.+]] = math.exp %[[SDIFF]] : f32
// CHECK:                 %[[SCALED:.+]] = arith.mulf %[[SUM]], %[[CORR]] : f32
// CHECK:                 %[[SUMNEW:.+]] = arith.addf %[[SCALED]], %[[PROB]] : f32
// CHECK:                 scf.for %[[D:.+]] = %[[C0]] to %[[DV]] step %[[C1]] {
// CHECK:                   %[[A:.+]] = memref.load %[[ACC]][%[[D]]] : memref<32xf32>
// CHECK:                   %[[AC:.+]] = arith.mulf %[[A]], %[[CORR]] : f32
// CHECK:                   %[[VAL:.+]] = memref.load %[[V]][%[[B]], %[[H]], %[[ROW]], %[[D]]]
// CHECK:                   %[[PV:.+]] = arith.mulf %[[PROB]], %[[VAL]] : f32
// CHECK:                   %[[ANEW:.+]] = arith.addf %[[AC]], %[[PV]] : f32
// CHECK:                   memref.store %[[ANEW]], %[[ACC]][%[[D]]] : memref<32xf32>
// CHECK:                 scf.yield %[[MNEW]], %[[SUMNEW]] : f32, f32
// CHECK:               scf.for %[[D:.+]] = %[[C0]] to %[[DV]] step %[[C1]] {
// CHECK:                 %[[A:.+]] = memref.load %[[ACC]][%[[D]]] : memref<32xf32>
// CHECK:                 %[[O:.+]] = arith.divf %[[A]], %[[ML]]#1 : f32
// CHECK:                 memref.store %[[O]], %[[OUT]][%[[B]], %[[H]], %[[T]], %[[D]]]
// CHECK-NOT:     rat.chunk_attention
func.func @chunk_attention(%q: memref<1x2x8x16xf32>, %k: memref<1x1x8x16xf32>, %v: memref<1x4x8x32xf32>, %out: memref<1x4x8x32xf32>) {
  rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<1x2x8x16xf32>, memref<1x1x8x16xf32>, memref<1x4x8x32xf32>) outs(%out : memref<1x4x8x32xf32>)
  return
}

// -----

// An offset shifts the query positions: chunk (offset + t) / L.

// CHECK-LABEL: func.func @chunk_attention_offset(
// CHECK-SAME:    %[[OFF:[a-zA-Z0-9_]+]]: index)
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               %[[S:.+]] = arith.addi %[[OFF]], %[[T]] : index
// CHECK:               arith.divui %[[S]], %{{.+}} : index
func.func @chunk_attention_offset(%q: memref<1x1x4x16xf32>, %k: memref<1x1x8x16xf32>, %v: memref<1x1x8x16xf32>, %out: memref<1x1x4x16xf32>, %off: index) {
  rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<1x1x4x16xf32>, memref<1x1x8x16xf32>, memref<1x1x8x16xf32>) offset(%off) outs(%out : memref<1x1x4x16xf32>)
  return
}

// -----

// With a dynamic value width the accumulator row is sized at run time.

// CHECK-LABEL: func.func @chunk_attention_dynamic_value_width(
// CHECK-SAME:    %[[V:[a-zA-Z0-9_]+]]: memref<1x1x8x?xf32>, %{{[a-zA-Z0-9_]+}}: memref<1x1x8x?xf32>)
// CHECK-DAG:     %[[C3:.+]] = arith.constant 3 : index
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               %[[DV:.+]] = memref.dim %[[V]], %[[C3]] : memref<1x1x8x?xf32>
// CHECK:               %[[ACC:.+]] = memref.alloca(%[[DV]]) : memref<?xf32>
// CHECK:               scf.for %[[D:.+]] = %{{.+}} to %[[DV]] step
// CHECK-NEXT:            memref.store %{{.+}}, %[[ACC]][%[[D]]] : memref<?xf32>
func.func @chunk_attention_dynamic_value_width(%q: memref<1x1x8x16xf32>, %k: memref<1x1x8x16xf32>, %v: memref<1x1x8x?xf32>, %out: memref<1x1x8x?xf32>) {
  rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<1x1x8x16xf32>, memref<1x1x8x16xf32>, memref<1x1x8x?xf32>) outs(%out : memref<1x1x8x?xf32>)
  return
}

// -----

// Window attention: keys [max(0, t - W), t] (computed without unsigned
// underflow), an explicit scale.

// CHECK-LABEL: func.func @window_attention(
// CHECK-SAME:    %{{[a-zA-Z0-9_]+}}: memref<1x2x8x16xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<1x2x8x16xf32>
// CHECK-DAG:     %[[SCALE:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG:     %[[W:.+]] = arith.constant 3 : index
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for %[[T:.+]] = %[[C0]] to %{{.+}} step %[[C1]]
// CHECK:               %[[INWIN:.+]] = arith.cmpi uge, %[[T]], %[[W]] : index
// CHECK:               %[[DIFF:.+]] = arith.subi %[[T]], %[[W]] : index
// CHECK:               %[[LO:.+]] = arith.select %[[INWIN]], %[[DIFF]], %[[C0]] : index
// CHECK:               %[[HI:.+]] = arith.addi %[[T]], %[[C1]] : index
// CHECK:               memref.alloca
// CHECK:               scf.for %[[J:.+]] = %[[LO]] to %[[HI]] step %[[C1]] iter_args
// CHECK:                 memref.load %[[K]][%{{.+}}, %{{.+}}, %[[J]], %{{.+}}]
// CHECK:                 arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK:                 arith.maximumf
// CHECK:                 math.exp
func.func @window_attention(%q: memref<1x2x8x16xf32>, %k: memref<1x2x8x16xf32>, %v: memref<1x2x8x16xf32>, %out: memref<1x2x8x16xf32>) {
  rat.window_attention window = 3 scale = 0.5 ins(%q, %k, %v : memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>) outs(%out : memref<1x2x8x16xf32>)
  return
}

// -----

// Full causal attention (window 0): keys [0, t].

// CHECK-LABEL: func.func @full_attention(
// CHECK-NOT:     arith.cmpi uge
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             scf.for %[[T:.+]] = %[[C0]] to %{{.+}} step %[[C1]]
// CHECK:               %[[HI:.+]] = arith.addi %[[T]], %[[C1]] : index
// CHECK:               scf.for %{{.+}} = %[[C0]] to %[[HI]] step %[[C1]] iter_args
func.func @full_attention(%q: memref<1x2x8x16xf32>, %k: memref<1x2x8x16xf32>, %v: memref<1x2x8x16xf32>, %out: memref<1x2x8x16xf32>) {
  rat.window_attention window = 0 ins(%q, %k, %v : memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>) outs(%out : memref<1x2x8x16xf32>)
  return
}

// -----

// RMS norm over the rows [B, T]: sum of squares in f32, rsqrt(mean + eps),
// times the weight.

// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<2x8x16xf16>, %[[W:[a-zA-Z0-9_]+]]: memref<16xf16>, %[[OUT:[a-zA-Z0-9_]+]]: memref<2x8x16xf16>)
// CHECK-DAG:     %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG:     %[[D:.+]] = arith.constant 1.600000e+01 : f32
// CHECK:         scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[SS:.+]] = scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[A:.+]] = %{{.+}}) -> (f32)
// CHECK:               %[[XH:.+]] = memref.load %[[X]][%[[B]], %[[T]], %[[I]]] : memref<2x8x16xf16>
// CHECK:               %[[XF:.+]] = arith.extf %[[XH]] : f16 to f32
// CHECK:               %[[SQ:.+]] = arith.mulf %[[XF]], %[[XF]] : f32
// CHECK:               %[[ANEW:.+]] = arith.addf %[[A]], %[[SQ]] : f32
// CHECK:               scf.yield %[[ANEW]] : f32
// CHECK:             %[[MEAN:.+]] = arith.divf %[[SS]], %[[D]] : f32
// CHECK:             %[[VAR:.+]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK:             %[[INV:.+]] = math.rsqrt %[[VAR]] : f32
// CHECK:             scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               arith.mulf %{{.+}}, %[[INV]] : f32
// CHECK:               memref.load %[[W]][%[[I]]] : memref<16xf16>
// CHECK:               %[[Y:.+]] = arith.truncf %{{.+}} : f32 to f16
// CHECK:               memref.store %[[Y]], %[[OUT]][%[[B]], %[[T]], %[[I]]] : memref<2x8x16xf16>
func.func @rms_norm(%x: memref<2x8x16xf16>, %w: memref<16xf16>, %out: memref<2x8x16xf16>) {
  rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<2x8x16xf16>, memref<16xf16>) outs(%out : memref<2x8x16xf16>)
  return
}

// -----

// Rope over [B, T] and the Dh/2 pairs: position (offset + t) / L, frequency
// exp2(i * -2 log2(base) / Dh), rotate-half.

// CHECK-LABEL: func.func @rope(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<2x8x16xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<2x8x16xf32>, %[[OFF:[a-zA-Z0-9_]+]]: index)
// CHECK-DAG:     %[[FREQ:.+]] = arith.constant -1.66096401 : f32
// CHECK-DAG:     %[[L:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[HALF:.+]] = arith.constant 8 : index
// CHECK:         scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[S:.+]] = arith.addi %[[OFF]], %[[T]] : index
// CHECK:             %[[POS:.+]] = arith.divui %[[S]], %[[L]] : index
// CHECK:             scf.for %[[I:.+]] = %{{.+}} to %[[HALF]] step
// CHECK:               %[[EXPO:.+]] = arith.mulf %{{.+}}, %[[FREQ]] : f32
// CHECK:               %[[INVF:.+]] = math.exp2 %[[EXPO]] : f32
// CHECK:               %[[ANGLE:.+]] = arith.mulf %{{.+}}, %[[INVF]] : f32
// CHECK:               %[[COS:.+]] = math.cos %[[ANGLE]] : f32
// CHECK:               %[[SIN:.+]] = math.sin %[[ANGLE]] : f32
// CHECK:               %[[I2:.+]] = arith.addi %[[I]], %[[HALF]] : index
// CHECK:               %[[X0:.+]] = memref.load %[[X]][%[[B]], %[[T]], %[[I]]]
// CHECK:               %[[X1:.+]] = memref.load %[[X]][%[[B]], %[[T]], %[[I2]]]
// CHECK:               %[[A:.+]] = arith.mulf %[[X0]], %[[COS]] : f32
// CHECK:               %[[BB:.+]] = arith.mulf %[[X1]], %[[SIN]] : f32
// CHECK:               %[[LO:.+]] = arith.subf %[[A]], %[[BB]] : f32
// CHECK:               memref.store %[[LO]], %[[OUT]][%[[B]], %[[T]], %[[I]]]
// CHECK:               %[[C:.+]] = arith.mulf %[[X1]], %[[COS]] : f32
// CHECK:               %[[DD:.+]] = arith.mulf %[[X0]], %[[SIN]] : f32
// CHECK:               %[[HI:.+]] = arith.addf %[[C]], %[[DD]] : f32
// CHECK:               memref.store %[[HI]], %[[OUT]][%[[B]], %[[T]], %[[I2]]]
func.func @rope(%x: memref<2x8x16xf32>, %out: memref<2x8x16xf32>, %off: index) {
  rat.rope chunk_size = 4 base = 10000.0 ins(%x : memref<2x8x16xf32>) offset(%off) outs(%out : memref<2x8x16xf32>)
  return
}

// -----

// Scan step: the state restarts (reads as 0) at a chunk start.

// CHECK-LABEL: func.func @chunk_scan_step(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: memref<2x16xf32>, %[[X:[a-zA-Z0-9_]+]]: memref<2x16xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<2x16xf32>, %[[POS:[a-zA-Z0-9_]+]]: index)
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[L:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK:         scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[GV:.+]] = memref.load %[[G]][%[[B]], %[[N]]]
// CHECK:             %[[XV:.+]] = memref.load %[[X]][%[[B]], %[[N]]]
// CHECK:             %[[OLD:.+]] = memref.load %[[S]][%[[B]], %[[N]]]
// CHECK:             %[[REM:.+]] = arith.remui %[[POS]], %[[L]] : index
// CHECK:             %[[START:.+]] = arith.cmpi eq, %[[REM]], %[[C0]] : index
// CHECK:             %[[PREV:.+]] = arith.select %[[START]], %[[ZERO]], %[[OLD]] : f32
// CHECK:             %[[CARRY:.+]] = arith.mulf %[[GV]], %[[PREV]] : f32
// CHECK:             %[[NEW:.+]] = arith.addf %[[CARRY]], %{{.+}} : f32
// CHECK:             memref.store %[[NEW]], %[[S]][%[[B]], %[[N]]]
func.func @chunk_scan_step(%g: memref<2x16xf32>, %x: memref<2x16xf32>, %s: memref<2x16xf32>, %pos: index) {
  rat.chunk_scan_step chunk_size = 4 ins(%g, %x : memref<2x16xf32>, memref<2x16xf32>) position(%pos) outs(%s : memref<2x16xf32>)
  return
}

// -----

// Chunk attention step over [B, H]: the new key/value go to cache row
// c = position / L, then the query attends to rows [0, c].

// CHECK-LABEL: func.func @chunk_attention_step(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: memref<1x2x16xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<1x4x16xf32>, %[[V:[a-zA-Z0-9_]+]]: memref<1x4x32xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<1x4x32xf32>, %[[KC:[a-zA-Z0-9_]+]]: memref<1x4x8x16xf32>, %[[VC:[a-zA-Z0-9_]+]]: memref<1x4x8x32xf32>, %[[POS:[a-zA-Z0-9_]+]]: index)
// CHECK-DAG:     %[[L:.+]] = arith.constant 4 : index
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[H:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[ROW:.+]] = arith.divui %[[POS]], %[[L]] : index
// CHECK:             %[[NROWS:.+]] = arith.addi %[[ROW]], %[[C1]] : index
// CHECK:             scf.for %[[D:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               %[[KV:.+]] = memref.load %[[K]][%[[B]], %[[H]], %[[D]]]
// CHECK:               memref.store %[[KV]], %[[KC]][%[[B]], %[[H]], %[[ROW]], %[[D]]]
// CHECK:             scf.for %[[D:.+]] = %{{.+}} to %{{.+}} step
// CHECK:               %[[VV:.+]] = memref.load %[[V]][%[[B]], %[[H]], %[[D]]]
// CHECK:               memref.store %[[VV]], %[[VC]][%[[B]], %[[H]], %[[ROW]], %[[D]]]
// CHECK:             memref.alloca
// CHECK:             scf.for %[[J:.+]] = %[[C0]] to %[[NROWS]] step %[[C1]] iter_args
// CHECK:               memref.load %[[KC]][%[[B]], %[[H]], %[[J]], %{{.+}}]
// CHECK:               arith.maximumf
// CHECK:               memref.load %[[VC]][%[[B]], %[[H]], %[[J]], %{{.+}}]
// CHECK:             memref.store %{{.+}}, %[[OUT]][%[[B]], %[[H]], %{{.+}}]
func.func @chunk_attention_step(%q: memref<1x2x16xf32>, %k: memref<1x4x16xf32>, %v: memref<1x4x32xf32>, %out: memref<1x4x32xf32>, %kc: memref<1x4x8x16xf32>, %vc: memref<1x4x8x32xf32>, %pos: index) {
  rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : memref<1x2x16xf32>, memref<1x4x16xf32>, memref<1x4x32xf32>) position(%pos) outs(%out, %kc, %vc : memref<1x4x32xf32>, memref<1x4x8x16xf32>, memref<1x4x8x32xf32>)
  return
}

// -----

// Window attention step: ring row p mod R, keys [max(0, p - W), p] at rows
// s mod R.

// CHECK-LABEL: func.func @window_attention_step(
// CHECK-SAME:    %[[KC:[a-zA-Z0-9_]+]]: memref<1x4x8x16xf32>, %[[VC:[a-zA-Z0-9_]+]]: memref<1x4x8x32xf32>, %[[POS:[a-zA-Z0-9_]+]]: index)
// CHECK-DAG:     %[[W:.+]] = arith.constant 7 : index
// CHECK-DAG:     %[[R:.+]] = arith.constant 8 : index
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK:         scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK:           scf.for %[[H:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[INWIN:.+]] = arith.cmpi uge, %[[POS]], %[[W]] : index
// CHECK:             %[[DIFF:.+]] = arith.subi %[[POS]], %[[W]] : index
// CHECK:             %[[LO:.+]] = arith.select %[[INWIN]], %[[DIFF]], %[[C0]] : index
// CHECK:             %[[ROW:.+]] = arith.remui %[[POS]], %[[R]] : index
// CHECK:             %[[HI:.+]] = arith.addi %[[POS]], %[[C1]] : index
// CHECK:             memref.store %{{.+}}, %[[KC]][%[[B]], %[[H]], %[[ROW]], %{{.+}}]
// CHECK:             memref.store %{{.+}}, %[[VC]][%[[B]], %[[H]], %[[ROW]], %{{.+}}]
// CHECK:             scf.for %[[S:.+]] = %[[LO]] to %[[HI]] step %[[C1]] iter_args
// CHECK:               %[[SROW:.+]] = arith.remui %[[S]], %[[R]] : index
// CHECK:               memref.load %[[KC]][%[[B]], %[[H]], %[[SROW]], %{{.+}}]
// CHECK:               memref.load %[[VC]][%[[B]], %[[H]], %[[SROW]], %{{.+}}]
func.func @window_attention_step(%q: memref<1x2x16xf32>, %k: memref<1x4x16xf32>, %v: memref<1x4x32xf32>, %out: memref<1x4x32xf32>, %kc: memref<1x4x8x16xf32>, %vc: memref<1x4x8x32xf32>, %pos: index) {
  rat.window_attention_step window = 7 ins(%q, %k, %v : memref<1x2x16xf32>, memref<1x4x16xf32>, memref<1x4x32xf32>) position(%pos) outs(%out, %kc, %vc : memref<1x4x32xf32>, memref<1x4x8x16xf32>, memref<1x4x8x32xf32>)
  return
}

// -----

// Rat ops must be bufferized first.

// ERR: error: 'rat.chunk_scan' op is still on tensors: bufferize before -rat-lower-to-loops
func.func @still_on_tensors(%g: tensor<8x16xf32>, %x: tensor<8x16xf32>, %init: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{'rat.chunk_scan' op is still on tensors: bufferize before -rat-lower-to-loops}}
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<8x16xf32>, tensor<8x16xf32>) outs(%init : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}
