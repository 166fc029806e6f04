# The graph-execution binding (tf_graph.cc), built against the libtensorflow that tfjs-node uses.
{
  'variables': {
    'tfjs_node_dir': '<!(node -p "require(\'path\').dirname(require.resolve(\'@tensorflow/tfjs-node/package.json\'))")',
  },
  'targets': [{
    'target_name': 'tf_graph',
    'sources': ['tf_graph.cc'],
    'include_dirs': ['<(tfjs_node_dir)/deps/include'],
    'cflags_cc': ['-std=c++17', '-fexceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    'conditions': [
      ['OS=="linux"', {
        'libraries': ['-Wl,-rpath,<(tfjs_node_dir)/deps/lib', '-ltensorflow'],
        'library_dirs': ['<(tfjs_node_dir)/deps/lib'],
      }],
      ['OS=="mac"', {
        'libraries': ['<(tfjs_node_dir)/deps/lib/libtensorflow.2.dylib'],
        'xcode_settings': { 'GCC_ENABLE_CPP_EXCEPTIONS': 'YES', 'OTHER_LDFLAGS': ['-Wl,-rpath,<(tfjs_node_dir)/deps/lib'] },
      }],
    ],
  }],
}
