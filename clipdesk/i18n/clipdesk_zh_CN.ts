<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>BuiltinModels</name>
    <message>
        <source>Chinese queries; the best balance of speed and accuracy (recommended).</source>
        <translation>中文搜索；速度与准确度兼顾（推荐）。</translation>
    </message>
    <message>
        <source>Chinese queries; more accurate than ViT-B/16, about three times slower.</source>
        <translation>中文搜索；比 ViT-B/16 更准确，速度约慢三倍。</translation>
    </message>
    <message>
        <source>Chinese queries; sees finer detail at 336 px, slower than ViT-L/14.</source>
        <translation>中文搜索；以 336 像素识别更精细的细节，比 ViT-L/14 慢。</translation>
    </message>
    <message>
        <source>Chinese queries; the most accurate Chinese model, needs a strong GPU.</source>
        <translation>中文搜索；最准确的中文模型，需要性能强劲的显卡。</translation>
    </message>
    <message>
        <source>Chinese queries; the smallest and fastest, least accurate; fine on a CPU.</source>
        <translation>中文搜索；体积最小、速度最快，但准确度最低；用 CPU 也能流畅运行。</translation>
    </message>
    <message>
        <source>English queries; fast, good on a CPU (66.6% ImageNet zero-shot).</source>
        <translation>英文搜索；速度快，适合用 CPU 运行（ImageNet 零样本准确率 66.6%）。</translation>
    </message>
    <message>
        <source>English queries; accurate for its size (73.5% ImageNet zero-shot).</source>
        <translation>英文搜索；同等体积下准确度高（ImageNet 零样本准确率 73.5%）。</translation>
    </message>
    <message>
        <source>English queries; LAION-2B training (70.2% ImageNet zero-shot).</source>
        <translation>英文搜索；基于 LAION-2B 训练（ImageNet 零样本准确率 70.2%）。</translation>
    </message>
    <message>
        <source>English queries; the most accurate built-in model, best with a GPU (79.2% ImageNet zero-shot).</source>
        <translation>英文搜索；最准确的内置模型，建议使用显卡（ImageNet 零样本准确率 79.2%）。</translation>
    </message>
    <message>
        <source>English queries; large LAION-2B model (75.3% ImageNet zero-shot).</source>
        <translation>英文搜索；基于 LAION-2B 的大模型（ImageNet 零样本准确率 75.3%）。</translation>
    </message>
    <message>
        <source>Queries in many languages, Chinese included; an XLM-RoBERTa text tower (its tokenizer is downloaded with it).</source>
        <translation>支持多种语言查询（含中文）；XLM-RoBERTa 文本塔（其分词器会一并下载）。</translation>
    </message>
    <message>
        <source>English queries; the original CLIP, fast (63.2% ImageNet zero-shot). Taiyi-CLIP 102M searches its photos in Chinese.</source>
        <translation>英文查询；OpenAI 原版 CLIP，速度快（ImageNet 零样本 63.2%）。太乙-CLIP 102M 可用中文搜索它索引的照片。</translation>
    </message>
    <message>
        <source>English queries; the original large CLIP (75.3% ImageNet zero-shot). Taiyi-CLIP 326M searches its photos in Chinese.</source>
        <translation>英文查询；OpenAI 原版大型 CLIP（ImageNet 零样本 75.3%）。太乙-CLIP 326M 可用中文搜索它索引的照片。</translation>
    </message>
    <message>
        <source>Chinese queries over the photos of OpenAI CLIP ViT-B/32 (its image tower): index once, search in Chinese and English.</source>
        <translation>用中文搜索 OpenAI CLIP ViT-B/32 索引的照片（共用其图像塔）：索引一次，中英文都能搜索。</translation>
    </message>
    <message>
        <source>Chinese queries over the photos of OpenAI CLIP ViT-L/14 (its image tower); more accurate than Taiyi-CLIP 102M.</source>
        <translation>用中文搜索 OpenAI CLIP ViT-L/14 索引的照片（共用其图像塔）；比太乙-CLIP 102M 更准确。</translation>
    </message>
    <message>
        <source>Queries in 48 languages, Chinese included, over the photos of OpenAI CLIP ViT-B/32 (its image tower).</source>
        <translation>支持 48 种语言查询（含中文），搜索 OpenAI CLIP ViT-B/32 索引的照片（共用其图像塔）。</translation>
    </message>
    <message>
        <source>Queries in 48 languages, Chinese included, over the photos of OpenAI CLIP ViT-L/14 (its image tower).</source>
        <translation>支持 48 种语言查询（含中文），搜索 OpenAI CLIP ViT-L/14 索引的照片（共用其图像塔）。</translation>
    </message>
    <message>
        <source>Chinese queries; Chinese CLIP ViT-B/16 through transformers.</source>
        <translation>中文查询；通过 transformers 加载的 Chinese CLIP ViT-B/16。</translation>
    </message>
    <message>
        <source>Chinese and English queries; CLIP ViT-L/14 with a bilingual XLM-R text tower; needs a GPU.</source>
        <translation>中英文查询；CLIP ViT-L/14 配双语 XLM-R 文本塔；需要 GPU。</translation>
    </message>
    <message>
        <source>Queries in many languages, Chinese included; Google&apos;s SigLIP 2.</source>
        <translation>支持多种语言查询（含中文）；Google 的 SigLIP 2。</translation>
    </message>
</context>
<context>
    <name>CheckBar</name>
    <message>
        <source>Check the top</source>
        <translation>核对前</translation>
    </message>
    <message>
        <source>A vision-language model looks at each of the top photos and answers whether it shows the words; its answers are kept, so a second look is free.</source>
        <translation>由视觉语言模型逐张查看排在前面的照片，判断照片是否符合文字描述；答案会保存下来，再次查看无需重新计算。</translation>
    </message>
    <message>
        <source>re-rank by its answer</source>
        <translation>按其回答重新排序</translation>
    </message>
    <message>
        <source>show only confirmed</source>
        <translation>只显示确认的</translation>
    </message>
    <message>
        <source>blend with the score</source>
        <translation>与得分混合</translation>
    </message>
    <message>
        <source>with</source>
        <translation>张，使用</translation>
    </message>
</context>
<context>
    <name>CheckedView</name>
    <message>
        <source>Check the hits</source>
        <translation>核对命中</translation>
    </message>
    <message>
        <source>The model looks at every photo each model finds at its threshold and answers whether it shows the class; its answers are kept, so a second check is free.</source>
        <translation>由该模型查看每个模型在其阈值下找到的每张照片，判断照片是否属于该类；答案会保存下来，再次核对无需重新计算。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Check with</source>
        <translation>核对模型</translation>
    </message>
    <message>
        <source>Up to %1 photo-class pairs to check; no GPU: about %2 the first time.</source>
        <translation>最多需核对 %1 个照片-类别对；没有 GPU：首次约需 %2。</translation>
    </message>
    <message>
        <source>Check cancelled.</source>
        <translation>核对已取消。</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Checking %1 of %2 photo-class pairs…</source>
        <translation>正在核对第 %1 个照片-类别对，共 %2 个…</translation>
    </message>
    <message>
        <source>%1 looked at %2 photo-class pairs (%3 more from earlier answers) in %4 s. A hit stays when it answers yes (p ≥ 0.5).</source>
        <translation>%1 在 %4 秒内查看了 %2 个照片-类别对（另有 %3 个来自之前的答案）。回答为“是”（p ≥ 0.5）的命中会保留。</translation>
    </message>
    <message>
        <source>CLIP</source>
        <translation>CLIP</translation>
    </message>
    <message>
        <source>checked</source>
        <translation>核对后</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>union</source>
        <translation>并集</translation>
    </message>
</context>
<context>
    <name>ClassResultsView</name>
    <message>
        <source>Use suggestion</source>
        <translation>采用建议值</translation>
    </message>
    <message>
        <source>Use as default search threshold</source>
        <translation>设为默认搜索阈值</translation>
    </message>
    <message>
        <source>Rows of:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Threshold:</source>
        <translation>阈值：</translation>
    </message>
    <message>
        <source>union (a hit for any model)</source>
        <translation>并集（任一模型命中即算）</translation>
    </message>
    <message>
        <source>rank fusion (rrf)</source>
        <translation>排名融合（RRF）</translation>
    </message>
    <message>
        <source>Suggested threshold (best macro F1): %1</source>
        <translation>建议阈值（宏平均 F1 最高）：%1</translation>
    </message>
    <message>
        <source>Union and rank fusion use each model&apos;s own threshold.</source>
        <translation>并集和排名融合使用各模型自己的阈值。</translation>
    </message>
    <message>
        <source>AP</source>
        <translation>AP</translation>
    </message>
    <message>
        <source>Best-F1 threshold</source>
        <translation>最佳 F1 阈值</translation>
    </message>
    <message>
        <source>Best F1</source>
        <translation>最佳 F1</translation>
    </message>
</context>
<context>
    <name>DescribeLabels</name>
    <message>
        <source>A model folder…</source>
        <translation>模型文件夹…</translation>
    </message>
    <message>
        <source>Write descriptions</source>
        <translation>生成描述</translation>
    </message>
    <message>
        <source>A language model writes a few sentences about each label (CuPL); you can keep, edit or delete them. Model:</source>
        <translation>由语言模型为每个标签写几句描述（CuPL），可以保留、修改或删除。模型：</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>(no GPU: about %1)</source>
        <translation>（没有 GPU：约需 %1）</translation>
    </message>
</context>
<context>
    <name>DuplicatesDialog</name>
    <message>
        <source>Duplicates</source>
        <translation>重复照片</translation>
    </message>
    <message>
        <source>Photos whose pictures are at least this alike are grouped; copies with the same content always are. The photo to keep is suggested (most pixels, then the largest file, then the earliest); the ticked ones go to the trash.</source>
        <translation>画面相似度不低于此值的照片归为一组；内容完全相同的副本总会归为一组。建议保留的照片已标出（像素最多，其次文件最大，再次拍摄最早）；勾选的照片将移到回收站。</translation>
    </message>
    <message>
        <source>Similarity threshold</source>
        <translation>相似度阈值</translation>
    </message>
    <message>
        <source>&amp;Alike at least:</source>
        <translation>相似度至少(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Scan again</source>
        <translation>重新查找(&amp;S)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Looking for duplicates…</source>
        <translation>正在查找重复照片…</translation>
    </message>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation>
            <numerusform>%n 组</numerusform>
        </translation>
    </message>
    <message>
        <source>The search for duplicates was cancelled. “Scan again” starts it again.</source>
        <translation>已取消查找重复照片。点击“重新查找”可再次开始。</translation>
    </message>
    <message>
        <source>Nothing is indexed yet. Add a photo folder (File ▸ Add folder…) and let it index; then look for duplicates here.</source>
        <translation>还没有建立索引的照片。请先添加照片文件夹（文件 ▸ 添加文件夹…）并等待索引完成，然后再在这里查找重复照片。</translation>
    </message>
    <message>
        <source>Compared by the model %1.</source>
        <translation>由模型 %1 比较。</translation>
    </message>
    <message>
        <source>No photos are this alike. Lower the threshold to see photos that are less alike: bursts, edited or cropped copies.</source>
        <translation>没有这么相似的照片。降低阈值可以看到相似度较低的照片：连拍、编辑过或裁剪过的副本。</translation>
    </message>
    <message>
        <source>No duplicates were found.</source>
        <translation>没有找到重复照片。</translation>
    </message>
    <message numerus="yes">
        <source>Move %n photo(s) to the trash…</source>
        <translation>
            <numerusform>将 %n 张照片移到回收站…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Move %n photo(s) (%1) to the trash? The photo kept in each group stays. You can put them back from the trash; clipdesk finds them again when it next scans their folder.</source>
        <translation>
            <numerusform>将 %n 张照片（%1）移到回收站吗？每组保留的照片不会移动。你可以从回收站还原它们；clipdesk 下次扫描所在文件夹时会重新找到它们。</numerusform>
        </translation>
    </message>
    <message>
        <source>Move to the trash</source>
        <translation>移到回收站</translation>
    </message>
    <message>
        <source>Moving photos to the trash…</source>
        <translation>正在将照片移到回收站…</translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) moved to the trash.</source>
        <translation>
            <numerusform>已将 %n 张照片移到回收站。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) could not be moved and were left where they are:</source>
        <translation>
            <numerusform>有 %n 张照片无法移动，已留在原处：</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EvaluationCharts</name>
    <message>
        <source>Precision-recall curve</source>
        <translation>精确率-召回率曲线</translation>
    </message>
    <message>
        <source>precision at recall</source>
        <translation>各召回率下的精确率</translation>
    </message>
    <message>
        <source>at the threshold</source>
        <translation>当前阈值处</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>召回率</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精确率</translation>
    </message>
    <message>
        <source>Recall %1 · precision %2</source>
        <translation>召回率 %1 · 精确率 %2</translation>
    </message>
    <message>
        <source>Precision-recall curve: %1</source>
        <translation>精确率-召回率曲线：%1</translation>
    </message>
    <message>
        <source>Precision and recall by threshold</source>
        <translation>精确率和召回率随阈值变化</translation>
    </message>
    <message>
        <source>precision</source>
        <translation>精确率</translation>
    </message>
    <message>
        <source>recall</source>
        <translation>召回率</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>threshold</source>
        <translation>阈值</translation>
    </message>
    <message>
        <source>Threshold (cosine)</source>
        <translation>阈值（余弦相似度）</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Threshold %1: precision %2 · recall %3 · F1 %4</source>
        <translation>阈值 %1：精确率 %2 · 召回率 %3 · F1 %4</translation>
    </message>
    <message>
        <source>Threshold (probability)</source>
        <translation>阈值（概率）</translation>
    </message>
    <message>
        <source>Precision and recall by threshold: %1</source>
        <translation>精确率和召回率随阈值变化：%1</translation>
    </message>
</context>
<context>
    <name>EvaluationPanel</name>
    <message>
        <source>A folder of class folders, or a caption file (.jsonl)</source>
        <translation>按类别分子文件夹的文件夹，或描述文件（.jsonl）</translation>
    </message>
    <message>
        <source>Class folders…</source>
        <translation>类别文件夹…</translation>
    </message>
    <message>
        <source>Caption file…</source>
        <translation>描述文件…</translation>
    </message>
    <message>
        <source>when there is a negatives folder</source>
        <translation>有负样本文件夹时</translation>
    </message>
    <message>
        <source>always</source>
        <translation>总是</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>Evaluate</source>
        <translation>开始评估</translation>
    </message>
    <message>
        <source>Change…</source>
        <translation>修改…</translation>
    </message>
    <message>
        <source>Show the dataset, models and templates again</source>
        <translation>重新显示数据集、模型和模板</translation>
    </message>
    <message>
        <source>Evaluate anyway</source>
        <translation>仍然评估</translation>
    </message>
    <message>
        <source>Per class</source>
        <translation>按类别</translation>
    </message>
    <message>
        <source>Zero-shot classification</source>
        <translation>零样本分类</translation>
    </message>
    <message>
        <source>Image→image</source>
        <translation>图搜图</translation>
    </message>
    <message>
        <source>Model comparison</source>
        <translation>模型对比</translation>
    </message>
    <message>
        <source>Caption retrieval</source>
        <translation>描述检索</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>导出 JSON…</translation>
    </message>
    <message>
        <source>Markdown report…</source>
        <translation>Markdown 报告…</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Evaluate models</source>
        <translation>评估模型</translation>
    </message>
    <message>
        <source>Dataset:</source>
        <translation>数据集：</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Templates:</source>
        <translation>模板：</translation>
    </message>
    <message>
        <source>&quot;Others&quot; label:</source>
        <translation>“其他”标签：</translation>
    </message>
    <message>
        <source>optional: CuPL JSON</source>
        <translation>可选：CuPL JSON</translation>
    </message>
    <message>
        <source>Class descriptions written by a language model (CuPL&apos;s JSON, e.g. exported from the tagging panel): the classes are scored with them and compared with templates only</source>
        <translation>由语言模型写的类别描述（CuPL 的 JSON，例如从自动标签面板导出）：用它们为各类评分，并与只用模板的结果比较</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Templates vs descriptions</source>
        <translation>模板与描述对比</translation>
    </message>
    <message>
        <source>Checked by a VLM</source>
        <translation>视觉语言模型核对</translation>
    </message>
    <message>
        <source>Descriptions:</source>
        <translation>描述：</translation>
    </message>
    <message>
        <source>Hide the inputs</source>
        <translation>隐藏输入</translation>
    </message>
    <message>
        <source>Give the results the whole width</source>
        <translation>让结果占满整个宽度</translation>
    </message>
    <message>
        <source>No model chosen.</source>
        <translation>未选择模型。</translation>
    </message>
    <message>
        <source>Chosen: %1, as the model choice of every panel (%2) says.</source>
        <translation>已选择：%1，与所有面板共用的模型选择（%2）一致。</translation>
    </message>
    <message>
        <source>Chosen: %1</source>
        <translation>已选择：%1</translation>
    </message>
    <message>
        <source>automatic, by language</source>
        <translation>自动，按语言选择</translation>
    </message>
    <message>
        <source>Choose a folder of class folders</source>
        <translation>选择包含类别文件夹的文件夹</translation>
    </message>
    <message>
        <source>Class descriptions</source>
        <translation>类别描述</translation>
    </message>
    <message>
        <source>CuPL JSON (*.json)</source>
        <translation>CuPL JSON (*.json)</translation>
    </message>
    <message>
        <source>Choose a caption file</source>
        <translation>选择描述文件</translation>
    </message>
    <message>
        <source>Caption files (*.jsonl *.json)</source>
        <translation>描述文件 (*.jsonl *.json)</translation>
    </message>
    <message>
        <source>Use %1 instead</source>
        <translation>改用 %1</translation>
    </message>
    <message>
        <source>Choose a model…</source>
        <translation>选择模型…</translation>
    </message>
    <message>
        <source>%1 is chosen instead of %2. Press Evaluate.</source>
        <translation>已用 %1 代替 %2。请点击“评估”。</translation>
    </message>
    <message>
        <source>Choose a dataset first.</source>
        <translation>请先选择数据集。</translation>
    </message>
    <message>
        <source>Check at least one model.</source>
        <translation>请至少勾选一个模型。</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Loading the models…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Not evaluated: a chosen model does not read the class names&apos; language (see above).</source>
        <translation>未评估：所选的某个模型不理解类别名称的语言（见上方）。</translation>
    </message>
    <message>
        <source>Evaluation finished.</source>
        <translation>评估完成。</translation>
    </message>
    <message>
        <source>%1: %2 images in %3 classes, %4 negatives</source>
        <translation>%1：%3 个类别共 %2 张图片，%4 张负样本</translation>
    </message>
    <message>
        <source>%1: %2 captions, %3 images</source>
        <translation>%1：%2 条描述，%3 张图片</translation>
    </message>
    <message>
        <source>%1 pictures could not be read</source>
        <translation>%1 张图片无法读取</translation>
    </message>
    <message>
        <source>The default search threshold is now %1.</source>
        <translation>默认搜索阈值已设为 %1。</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>JSON 文件 (*.json)</translation>
    </message>
    <message>
        <source>Markdown files (*.md)</source>
        <translation>Markdown 文件 (*.md)</translation>
    </message>
    <message>
        <source>Export the evaluation</source>
        <translation>导出评估结果</translation>
    </message>
    <message>
        <source>Written: %1</source>
        <translation>已写入：%1</translation>
    </message>
</context>
<context>
    <name>EvaluationTables</name>
    <message>
        <source>macro average</source>
        <translation>宏平均</translation>
    </message>
    <message>
        <source>micro average</source>
        <translation>微平均</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>AP, templates</source>
        <translation>AP（模板）</translation>
    </message>
    <message>
        <source>AP, with descriptions</source>
        <translation>AP（加描述）</translation>
    </message>
    <message>
        <source>F1, templates</source>
        <translation>F1（模板）</translation>
    </message>
    <message>
        <source>F1, with descriptions</source>
        <translation>F1（加描述）</translation>
    </message>
    <message>
        <source>zero-shot accuracy</source>
        <translation>零样本准确率</translation>
    </message>
    <message>
        <source>Precision</source>
        <translation>精确率</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>召回率</translation>
    </message>
    <message>
        <source>True: %1 · predicted: %2 · %3 images (%4 % of %1)</source>
        <translation>真实：%1 · 预测：%2 · %3 张图片（占 %1 的 %4 %）</translation>
    </message>
    <message>
        <source>No threshold is suggested: %1 does not read %2, so its scores for these class names mean little.</source>
        <translation>不建议阈值：%1 不理解%2，它对这些类别名称的得分没有意义。</translation>
    </message>
    <message>
        <source>No threshold is suggested: at its best (%1) not one picture is found in its own class, so the number means nothing.</source>
        <translation>不建议阈值：即使在最佳阈值（%1）下，也没有一张图片被归入它自己的类别，这个数字没有意义。</translation>
    </message>
    <message>
        <source>No threshold is suggested: the best one, %1, is below zero, where nearly every picture matches; this model does not tell these classes apart.</source>
        <translation>不建议阈值：最佳阈值 %1 小于零，几乎所有图片都会匹配；这个模型分不清这些类别。</translation>
    </message>
    <message>
        <source>F1</source>
        <translation>F1</translation>
    </message>
    <message>
        <source>Support</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>TP</source>
        <translation>TP</translation>
    </message>
    <message>
        <source>FP</source>
        <translation>FP</translation>
    </message>
    <message>
        <source>FN</source>
        <translation>FN</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>阈值</translation>
    </message>
    <message>
        <source>Macro precision</source>
        <translation>宏平均精确率</translation>
    </message>
    <message>
        <source>Macro recall</source>
        <translation>宏平均召回率</translation>
    </message>
    <message>
        <source>Macro F1</source>
        <translation>宏平均 F1</translation>
    </message>
    <message>
        <source>Micro precision</source>
        <translation>微平均精确率</translation>
    </message>
    <message>
        <source>Micro recall</source>
        <translation>微平均召回率</translation>
    </message>
    <message>
        <source>Micro F1</source>
        <translation>微平均 F1</translation>
    </message>
    <message>
        <source>mAP</source>
        <translation>mAP</translation>
    </message>
    <message>
        <source>text→image</source>
        <translation>文搜图</translation>
    </message>
    <message>
        <source>image→text</source>
        <translation>图搜文</translation>
    </message>
    <message>
        <source>Queries</source>
        <translation>查询数</translation>
    </message>
</context>
<context>
    <name>FilterBar</name>
    <message>
        <source>Show only photos with this tag</source>
        <translation>只显示带有此标签的照片</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>从：</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>到：</translation>
    </message>
    <message>
        <source>Tag:</source>
        <translation>标签：</translation>
    </message>
    <message>
        <source>All folders</source>
        <translation>所有文件夹</translation>
    </message>
    <message>
        <source>%1 (offline)</source>
        <translation>%1（离线）</translation>
    </message>
    <message>
        <source>Choose a folder…</source>
        <translation>选择文件夹…</translation>
    </message>
    <message>
        <source>Choose a Folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Any tag</source>
        <translation>任意标签</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
</context>
<context>
    <name>GroupList</name>
    <message>
        <source>Duplicate groups</source>
        <translation>重复照片组</translation>
    </message>
    <message>
        <source>exact copies</source>
        <translation>完全相同的副本</translation>
    </message>
    <message>
        <source>alike ≥ %1</source>
        <translation>相似度 ≥ %1</translation>
    </message>
    <message numerus="yes">
        <source>Group %1 · %n photo(s)</source>
        <translation>
            <numerusform>第 %1 组 · %n 张照片</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 to the trash</source>
        <translation>%1 张移到回收站</translation>
    </message>
</context>
<context>
    <name>GroupPhotos</name>
    <message>
        <source>Photos of the group</source>
        <translation>本组照片</translation>
    </message>
    <message>
        <source>Keep (suggested)</source>
        <translation>保留（建议）</translation>
    </message>
    <message>
        <source>Exact copy</source>
        <translation>完全相同的副本</translation>
    </message>
    <message>
        <source>Alike</source>
        <translation>相似</translation>
    </message>
</context>
<context>
    <name>HitChecker</name>
    <message>
        <source>No GPU: about %1 the first time. </source>
        <translation>没有 GPU：首次约需 %1。</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在核对…</translation>
    </message>
    <message>
        <source>Checking %1 of %2…</source>
        <translation>正在核对第 %1 张，共 %2 张…</translation>
    </message>
    <message>
        <source>%1 of %2 confirmed (%3 s)</source>
        <translation>%2 张中确认 %1 张（%3 秒）</translation>
    </message>
</context>
<context>
    <name>ImageSearchPanel</name>
    <message>
        <source>Open Photo…</source>
        <translation>打开照片…</translation>
    </message>
    <message>
        <source>Paste</source>
        <translation>粘贴</translation>
    </message>
    <message>
        <source>Paste a picture or a photo file (Ctrl+V)</source>
        <translation>粘贴图片或照片文件（Ctrl+V）</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Optional words to combine with it: at night, 下雪, …</source>
        <translation>可选，补充文字描述：夜晚、下雪、at night…</translation>
    </message>
    <message>
        <source>How much the photo counts against the words</source>
        <translation>照片与文字各占的比重</translation>
    </message>
    <message>
        <source>Words:</source>
        <translation>文字：</translation>
    </message>
    <message>
        <source>Words</source>
        <translation>文字</translation>
    </message>
    <message>
        <source>Photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Pasted picture</source>
        <translation>粘贴的图片</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>Drop a photo here, paste one (Ctrl+V) or open one to find photos like it.</source>
        <translation>将照片拖到这里、粘贴（Ctrl+V）或打开一张照片，查找与它相似的照片。</translation>
    </message>
    <message>
        <source>The clipboard holds no picture or photo file.</source>
        <translation>剪贴板中没有图片或照片文件。</translation>
    </message>
    <message>
        <source>Open a Photo</source>
        <translation>打开照片</translation>
    </message>
    <message>
        <source>Images (%1)</source>
        <translation>图片 (%1)</translation>
    </message>
    <message>
        <source>Only pictures on this computer can be used: save it first, or drag the picture itself.</source>
        <translation>只能使用本机上的图片：请先将它保存下来，或直接拖入图片本身。</translation>
    </message>
</context>
<context>
    <name>ImageToImageView</name>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Precision (with negatives)</source>
        <translation>精确率（含负样本）</translation>
    </message>
    <message>
        <source>Recall (with negatives)</source>
        <translation>召回率（含负样本）</translation>
    </message>
    <message>
        <source>Each image of a class queries the other images; threshold %1.</source>
        <translation>每个类别中的每张图片都会用来检索其他图片；阈值为 %1。</translation>
    </message>
    <message>
        <source>This dataset has no negatives folder: both columns agree.</source>
        <translation>此数据集没有负样本文件夹，因此两列结果相同。</translation>
    </message>
</context>
<context>
    <name>ImportModelDialog</name>
    <message>
        <source>Use a checkpoint file</source>
        <translation>使用检查点文件</translation>
    </message>
    <message>
        <source>optional: recognised from the weights</source>
        <translation>可选：可从权重自动识别</translation>
    </message>
    <message>
        <source>recognise from the weights</source>
        <translation>根据权重自动识别</translation>
    </message>
    <message>
        <source>The architecture the weights are for, when clipdesk cannot recognise it and you have no config JSON</source>
        <translation>权重对应的架构：当 clipdesk 无法识别、你又没有配置 JSON 时填写</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>可选</translation>
    </message>
    <message>
        <source>its own</source>
        <translation>自带</translation>
    </message>
    <message>
        <source>Only for a text tower without images of its own (Taiyi-CLIP): the model whose image vectors it was trained for. It then searches that model&apos;s photos, with no second indexing.</source>
        <translation>仅用于没有自己图像塔的文本塔（如太乙-CLIP）：选择它训练时所配的图像模型。之后它直接搜索该模型索引的照片，无需再次索引。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>A model folder: OpenCLIP&apos;s, or a Hugging Face transformers folder as save_pretrained writes it</source>
        <translation>模型文件夹：OpenCLIP 的，或 Hugging Face transformers 用 save_pretrained 保存的文件夹</translation>
    </message>
    <message>
        <source>Weights file:</source>
        <translation>权重文件：</translation>
    </message>
    <message>
        <source>Model config (JSON):</source>
        <translation>模型配置（JSON）：</translation>
    </message>
    <message>
        <source>Architecture:</source>
        <translation>架构：</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Photos of:</source>
        <translation>照片来自：</translation>
    </message>
    <message>
        <source>A Chinese CLIP or OpenCLIP checkpoint (.pt, .pth, .bin or .safetensors). For a model of your own architecture, also choose its config JSON.</source>
        <translation>Chinese CLIP 或 OpenCLIP 检查点文件（.pt、.pth、.bin 或 .safetensors）。如果是自定义结构的模型，还需选择它的 JSON 配置文件。</translation>
    </message>
    <message>
        <source>Or choose a model folder: a Hugging Face transformers folder (CLIP, Chinese-CLIP, AltCLIP, SigLIP, a LiT dual encoder) as save_pretrained writes it, or a text tower (Taiyi-CLIP) with the model whose photos it searches.</source>
        <translation>也可以选择模型文件夹：save_pretrained 保存的 Hugging Face transformers 文件夹（CLIP、Chinese-CLIP、AltCLIP、SigLIP、LiT 双塔模型），或一个文本塔（太乙-CLIP）并选择它要搜索其照片的模型。</translation>
    </message>
    <message>
        <source>Choose model weights</source>
        <translation>选择模型权重</translation>
    </message>
    <message>
        <source>Model checkpoints (%1);;All files (*)</source>
        <translation>模型检查点 (%1);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>Choose the model config</source>
        <translation>选择模型配置</translation>
    </message>
    <message>
        <source>JSON files (*.json);;All files (*)</source>
        <translation>JSON 文件 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Choose a weights file or model folder that exists on this computer.</source>
        <translation>请选择本机上存在的权重文件或模型文件夹。</translation>
    </message>
</context>
<context>
    <name>IndexProgressWidget</name>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续索引</translation>
    </message>
    <message>
        <source>Index what is left; finished photos are not read again.</source>
        <translation>索引剩余的照片；已完成的照片不会重新读取。</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Indexing stopped. What was indexed is kept.</source>
        <translation>索引已停止。已索引的内容会保留。</translation>
    </message>
</context>
<context>
    <name>JobBar</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Scoring photos: %1 of %2</source>
        <translation>正在为照片打分：%1 / %2</translation>
    </message>
    <message>
        <source>Encoding labels and computing scores: %1 of %2</source>
        <translation>正在编码标签并计算分数：%1 / %2</translation>
    </message>
    <message>
        <source>Saving: %1 of %2</source>
        <translation>正在保存：%1 / %2</translation>
    </message>
</context>
<context>
    <name>LabelSetEditor</name>
    <message>
        <source>One label per line, in Chinese or English.
Optional descriptions after |, e.g.:
猫 | 一只猫 | 趴在沙发上的小猫
beach | sand and sea | people on a beach</source>
        <translation>每行一个标签，中文或英文均可。
可在 | 后附加描述，例如：
猫 | 一只猫 | 趴在沙发上的小猫
beach | sand and sea | people on a beach</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Read labels from a text file (one per line) or a JSON label file</source>
        <translation>从文本文件（每行一个）或 JSON 标签文件读取标签</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save the labels, their descriptions, templates and &quot;others&quot; as a JSON label file</source>
        <translation>把标签及其描述、模板和“其他”保存为 JSON 标签文件</translation>
    </message>
    <message>
        <source>Descriptions</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Sentences about each label written by a language model (CuPL), averaged into its vector; they appear in the lines after &quot;&gt;&quot;, to keep or edit</source>
        <translation>由语言模型为每个标签写的句子（CuPL），会平均进标签的向量；它们出现在各行的“&gt;”之后，可以保留或修改</translation>
    </message>
    <message>
        <source>Write with a language model…</source>
        <translation>用语言模型生成…</translation>
    </message>
    <message>
        <source>Import descriptions (CuPL JSON)…</source>
        <translation>导入描述（CuPL JSON）…</translation>
    </message>
    <message>
        <source>Export descriptions (CuPL JSON)…</source>
        <translation>导出描述（CuPL JSON）…</translation>
    </message>
    <message>
        <source>Add an &quot;others&quot; label for photos that match none</source>
        <translation>添加“其他”标签，归入不匹配任何标签的照片</translation>
    </message>
    <message>
        <source>Templates:</source>
        <translation>模板：</translation>
    </message>
    <message>
        <source>Labels:</source>
        <translation>标签：</translation>
    </message>
    <message>
        <source>Import descriptions</source>
        <translation>导入描述</translation>
    </message>
    <message>
        <source>CuPL JSON (*.json)</source>
        <translation>CuPL JSON (*.json)</translation>
    </message>
    <message>
        <source>not labels here: %1</source>
        <translation>不是这里的标签：%1</translation>
    </message>
    <message>
        <source>Export descriptions</source>
        <translation>导出描述</translation>
    </message>
    <message>
        <source>Save labels</source>
        <translation>保存标签</translation>
    </message>
    <message>
        <source>Label files (*.json)</source>
        <translation>标签文件 (*.json)</translation>
    </message>
    <message>
        <source>Open a label file</source>
        <translation>打开标签文件</translation>
    </message>
    <message>
        <source>Label files (*.txt *.json);;All files (*)</source>
        <translation>标签文件 (*.txt *.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Write at least one label, one per line.</source>
        <translation>请至少写一个标签，每行一个。</translation>
    </message>
    <message numerus="yes">
        <source>%n label(s)</source>
        <translation>
            <numerusform>%n 个标签</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n with descriptions</source>
        <translation>
            <numerusform>其中 %n 个带描述</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LanguageCheck</name>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>%1 does not read %2: its scores for these words mean little.</source>
        <translation>%1 不理解%2：它对这些文字的得分没有意义。</translation>
    </message>
    <message>
        <source>Use %1, which reads %2 and has your photos indexed.</source>
        <translation>请改用 %1，它理解%2，且已为你的照片建立索引。</translation>
    </message>
    <message>
        <source>Index your photos with %1, which reads %2.</source>
        <translation>请用理解%2的 %1 为照片建立索引。</translation>
    </message>
    <message>
        <source>No model on this computer reads %1; download one in Models ▸ Model setup.</source>
        <translation>这台电脑上没有理解%1的模型；请在“模型 ▸ 模型设置”中下载一个。</translation>
    </message>
</context>
<context>
    <name>LibraryHealth</name>
    <message>
        <source>The library is sound: %1 passed SQLite&apos;s integrity check.</source>
        <translation>图库完好：%1 通过了 SQLite 完整性检查。</translation>
    </message>
    <message>
        <source>The library file %1 is damaged (%2).</source>
        <translation>图库文件 %1 已损坏（%2）。</translation>
    </message>
    <message>
        <source>There is no backup to restore.</source>
        <translation>没有可恢复的备份。</translation>
    </message>
    <message>
        <source>Restore the backup of %1? Photos indexed after it will be indexed again; the damaged file is kept beside it.</source>
        <translation>要恢复 %1 的备份吗？之后建立索引的照片会重新索引；损坏的文件会保留在旁边。</translation>
    </message>
    <message>
        <source>The library is damaged</source>
        <translation>图库已损坏</translation>
    </message>
    <message>
        <source>There is no backup of the library yet; one is made each day the library changes.</source>
        <translation>图库还没有备份；图库有变化的每一天都会自动备份一次。</translation>
    </message>
    <message>
        <source>Replace the library with the backup of %1? Photos indexed after it will be indexed again; the current file is kept beside it.</source>
        <translation>要用 %1 的备份替换当前图库吗？之后建立索引的照片会重新索引；当前文件会保留在旁边。</translation>
    </message>
    <message>
        <source>Restore from backup</source>
        <translation>从备份恢复</translation>
    </message>
    <message>
        <source>Indexing did not stop; try again in a moment.</source>
        <translation>索引没有停止，请稍后再试。</translation>
    </message>
    <message>
        <source>The library was restored from the backup of %1.</source>
        <translation>图库已从 %1 的备份恢复。</translation>
    </message>
    <message>
        <source>Backup:</source>
        <translation>备份：</translation>
    </message>
    <message>
        <source>daily</source>
        <translation>每日</translation>
    </message>
    <message>
        <source>made by hand</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>before an upgrade</source>
        <translation>升级前</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>Drop photo folders here, or add one with File &gt; Add folder (Ctrl+O).</source>
        <translation>将照片文件夹拖到这里，或通过“文件 &gt; 添加文件夹”（Ctrl+O）添加。</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Re-scan all</source>
        <translation>全部重新扫描</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>indexing</source>
        <translation>正在索引</translation>
    </message>
    <message>
        <source>%1 of %2 indexed · unfinished (Re-scan resumes)</source>
        <translation>已索引 %1 / %2 · 未完成（重新扫描即可继续）</translation>
    </message>
    <message>
        <source>unfinished (Re-scan resumes)</source>
        <translation>未完成（重新扫描即可继续）</translation>
    </message>
    <message>
        <source>indexed</source>
        <translation>已索引</translation>
    </message>
    <message>
        <source>%1 missing</source>
        <translation>%1 张已不在</translation>
    </message>
    <message>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <source>Show the files that could not be read</source>
        <translation>显示无法读取的文件</translation>
    </message>
    <message>
        <source>The folder cannot be reached (an unplugged drive?). Its photos stay in the library.</source>
        <translation>无法访问该文件夹（可能是驱动器已拔出？）。其中的照片仍保留在图库中。</translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <source>Remove “%1” from the library? The photos stay where they are; only clipdesk’s index of them is deleted.</source>
        <translation>要从图库中移除“%1”吗？照片本身不会被移动或删除，只会删除 clipdesk 为它们建立的索引。</translation>
    </message>
    <message>
        <source>Re-scan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Show skipped files</source>
        <translation>显示已跳过的文件</translation>
    </message>
    <message>
        <source>Remove from library…</source>
        <translation>从图库中移除…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>clipdesk</source>
        <translation>clipdesk</translation>
    </message>
    <message>
        <source>Text search</source>
        <translation>以文搜图</translation>
    </message>
    <message>
        <source>Image search</source>
        <translation>以图搜图</translation>
    </message>
    <message>
        <source>Tagging</source>
        <translation>自动标签</translation>
    </message>
    <message>
        <source>Evaluation</source>
        <translation>模型评估</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>图库</translation>
    </message>
    <message>
        <source>The model that indexes and searches</source>
        <translation>用于索引和搜索的模型</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Add folder…</source>
        <translation>添加文件夹(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo tag save</source>
        <translation>撤销保存标签(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Library</source>
        <translation>图库(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Re-scan all folders</source>
        <translation>重新扫描所有文件夹(&amp;R)</translation>
    </message>
    <message>
        <source>Re-scan selected folder</source>
        <translation>重新扫描所选文件夹</translation>
    </message>
    <message>
        <source>Re&amp;move selected folder…</source>
        <translation>移除所选文件夹(&amp;M)…</translation>
    </message>
    <message>
        <source>Show &amp;skipped files…</source>
        <translation>显示已跳过的文件(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Forget missing photos…</source>
        <translation>忘记已不在的照片(&amp;F)…</translation>
    </message>
    <message>
        <source>Manage &amp;tags…</source>
        <translation>管理标签(&amp;T)…</translation>
    </message>
    <message>
        <source>Find &amp;duplicates…</source>
        <translation>查找重复照片(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Check library…</source>
        <translation>检查图库(&amp;C)…</translation>
    </message>
    <message>
        <source>Restore from &amp;backup…</source>
        <translation>从备份恢复(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>Model &amp;setup…</source>
        <translation>模型设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About clipdesk</source>
        <translation>关于 clipdesk(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <source>Add a photo folder</source>
        <translation>添加照片文件夹</translation>
    </message>
    <message>
        <source>Select a folder in the library first.</source>
        <translation>请先在图库中选择一个文件夹。</translation>
    </message>
    <message>
        <source>Photos: %1 · Folders: %2</source>
        <translation>照片：%1 · 文件夹：%2</translation>
    </message>
    <message>
        <source>%1 indexed with this model</source>
        <translation>当前模型已索引 %1 张</translation>
    </message>
    <message>
        <source>Searched exactly: every photo is compared with the query.</source>
        <translation>精确搜索：每张照片都与查询比较。</translation>
    </message>
    <message>
        <source>A large library: searched approximately, %1 of %2 groups of similar photos per query. Measured on this library, a search finds %3% of the 10 best matches for a photo query and %4% for a text query.</source>
        <translation>大型图库：近似搜索，每次查询扫描 %2 组相似照片中的 %1 组。在本图库上实测，以图搜图可找到最佳 10 个结果中的 %3%，文字搜索可找到 %4%。</translation>
    </message>
    <message>
        <source>Indexing stopped; %1 photos were indexed before that.</source>
        <translation>索引已停止；停止前已索引 %1 张照片。</translation>
    </message>
    <message>
        <source>Indexing finished: %1 new photos indexed, %2 skipped.</source>
        <translation>索引完成：新索引 %1 张照片，跳过 %2 个文件。</translation>
    </message>
    <message>
        <source>The GPU decoded %1 of them.</source>
        <translation>其中 %1 张由 GPU 解码。</translation>
    </message>
    <message>
        <source>%1 folders could not be reached and were left as they were.</source>
        <translation>有 %1 个文件夹无法访问，已保持原样。</translation>
    </message>
    <message>
        <source>No photos are missing.</source>
        <translation>没有找不到的照片。</translation>
    </message>
    <message>
        <source>Forget %1 photos that are no longer found? They come back by themselves when their drive or folder returns, as long as they are not forgotten.</source>
        <translation>要忘记 %1 张已找不到的照片吗？只要没有忘记，它们所在的磁盘或文件夹回来时，这些照片会自动回来。</translation>
    </message>
    <message>
        <source>%1 tags you set on them are deleted too.</source>
        <translation>你给它们设置的 %1 个标签也会被删除。</translation>
    </message>
    <message>
        <source>Forget missing photos</source>
        <translation>忘记已不在的照片</translation>
    </message>
    <message>
        <source>Quit clipdesk</source>
        <translation>退出 clipdesk</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Keep indexing</source>
        <translation>继续索引</translation>
    </message>
    <message>
        <source>Resuming the indexing of %1 folders that did not finish.</source>
        <translation>正在继续 %1 个未完成文件夹的索引。</translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) are not indexed with %1 yet. Index them now? This takes a while; the vectors of the other models stay, so switching back costs nothing.</source>
        <translation>
            <numerusform>有 %n 张照片还没有用 %1 建立索引。现在建立索引吗？这需要一些时间；其他模型的向量会保留，切换回去不需要重新索引。</numerusform>
        </translation>
    </message>
    <message>
        <source>Switch the model</source>
        <translation>切换模型</translation>
    </message>
    <message>
        <source>Index now</source>
        <translation>立即索引</translation>
    </message>
    <message>
        <source>Switch, index later</source>
        <translation>切换，稍后索引</translation>
    </message>
    <message>
        <source>ready on %1</source>
        <translation>已就绪（%1）</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>weights missing</source>
        <translation>缺少权重文件</translation>
    </message>
    <message>
        <source>could not be loaded</source>
        <translation>无法加载</translation>
    </message>
    <message>
        <source>Restart clipdesk</source>
        <translation>重新启动 clipdesk</translation>
    </message>
    <message>
        <source>The new language or device is used once clipdesk starts again. Restart now?</source>
        <translation>新的语言或设备将在 clipdesk 重新启动后生效。现在重新启动吗？</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>立即重新启动</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
    <message>
        <source>About clipdesk</source>
        <translation>关于 clipdesk</translation>
    </message>
    <message>
        <source>clipdesk %1</source>
        <translation>clipdesk %1</translation>
    </message>
    <message>
        <source>Search your own photos by meaning, in Chinese or English, with CLIP models that run on this computer. Nothing leaves it.

Data folder: %1</source>
        <translation>用中文或英文描述，按内容搜索您自己的照片。CLIP 模型在本机运行，任何数据都不会离开这台电脑。

数据文件夹：%1</translation>
    </message>
    <message>
        <source>Index your photos with %1? It reads the language of your labels. This can take a while; the vectors of the other models are kept.</source>
        <translation>要用 %1 为照片建立索引吗？它理解你的标签所用的语言。这可能需要一些时间；其他模型的向量会保留。</translation>
    </message>
    <message>
        <source>Index with %1</source>
        <translation>用 %1 建立索引</translation>
    </message>
    <message>
        <source>Indexing is still running. Quit anyway? What is done is kept, and the rest continues the next time clipdesk starts.</source>
        <translation>索引仍在进行。仍要退出吗？已完成的部分会保留，其余部分会在下次启动 clipdesk 时继续。</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
</context>
<context>
    <name>ModelModeCombo</name>
    <message>
        <source>Which model answers the query</source>
        <translation>选择用于搜索的模型</translation>
    </message>
    <message>
        <source>Automatic (by language)</source>
        <translation>自动（按语言选择）</translation>
    </message>
    <message>
        <source>%1 + %2 (both)</source>
        <translation>%1 + %2（同时使用）</translation>
    </message>
</context>
<context>
    <name>ModelSetupDialog</name>
    <message>
        <source>Set up a model</source>
        <translation>设置模型</translation>
    </message>
    <message>
        <source>clipdesk needs a model to understand your photos. Download one (once), or use a checkpoint file you already have. Until then you can still browse your library.</source>
        <translation>clipdesk 需要一个模型来理解照片内容。您可以下载一个模型（只需一次），或使用已有的检查点文件。在此之前，您仍可以浏览图库。</translation>
    </message>
    <message>
        <source>Models that clipdesk can use. The current model indexes and searches; switching keeps what other models indexed.</source>
        <translation>clipdesk 可以使用的模型。当前模型用于索引和搜索；切换模型后，其他模型已建立的索引会保留。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Languages</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Cancel download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>Download and use</source>
        <translation>下载并使用</translation>
    </message>
    <message>
        <source>Use a checkpoint file on this computer…</source>
        <translation>使用本机上的检查点文件…</translation>
    </message>
    <message>
        <source>Not now</source>
        <translation>以后再说</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>%1 (recommended)</source>
        <translation>%1（推荐）</translation>
    </message>
    <message>
        <source>current</source>
        <translation>当前使用</translation>
    </message>
    <message>
        <source>on this computer</source>
        <translation>已在本机</translation>
    </message>
    <message>
        <source>imported, file missing</source>
        <translation>已导入，文件缺失</translation>
    </message>
    <message>
        <source>download</source>
        <translation>需下载</translation>
    </message>
    <message>
        <source>many languages</source>
        <translation>多种语言</translation>
    </message>
    <message>
        <source>Chinese, English</source>
        <translation>中文、英文</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>The recommended default: handles Chinese and English queries, a good balance of speed and accuracy.</source>
        <translation>推荐的默认模型：支持中文和英文搜索，速度与准确度兼顾。</translation>
    </message>
    <message>
        <source>Imported from %1</source>
        <translation>导入自 %1</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>clipdesk could not tell which architecture %1 is for. Choose it under Architecture, or choose the model&apos;s config JSON.</source>
        <translation>clipdesk 无法判断 %1 对应哪种架构。请在“架构”中选择，或选择该模型的配置 JSON。</translation>
    </message>
    <message>
        <source>Checking the model file…</source>
        <translation>正在校验模型文件…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>剩余 %1</translation>
    </message>
    <message>
        <source>%1 is imported. To index and search with it later, choose it here (Models &gt; Model setup) and press “Use this model”.</source>
        <translation>%1 已导入。以后要用它建立索引和搜索，请在这里（模型 &gt; 模型设置）选中它并点击“使用此模型”。</translation>
    </message>
    <message>
        <source>Model imported</source>
        <translation>模型已导入</translation>
    </message>
    <message>
        <source>Use %1 for indexing and search now?</source>
        <translation>现在就用 %1 建立索引和搜索吗？</translation>
    </message>
    <message>
        <source>What other models indexed is kept. You can switch later in Models &gt; Model setup.</source>
        <translation>其他模型已建立的索引会保留。之后可以在“模型 &gt; 模型设置”中切换。</translation>
    </message>
    <message>
        <source>Use it now</source>
        <translation>立即使用</translation>
    </message>
    <message>
        <source>This computer seems to be offline, so the model cannot be downloaded now. If you have its weights file, choose “Use a checkpoint file on this computer…”.</source>
        <translation>这台电脑似乎未连接网络，暂时无法下载模型。如果您已有模型的权重文件，请选择“使用本机上的检查点文件…”。</translation>
    </message>
    <message>
        <source>The download was cancelled. What was downloaded is kept: downloading again continues from there.</source>
        <translation>下载已取消。已下载的部分会保留，再次下载时将从中断处继续。</translation>
    </message>
</context>
<context>
    <name>OptionalDateEdit</name>
    <message>
        <source>Any date</source>
        <translation>任意日期</translation>
    </message>
</context>
<context>
    <name>PreviewDialog</name>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>Path:</source>
        <translation>路径：</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>文件大小：</translation>
    </message>
    <message>
        <source>Dimensions:</source>
        <translation>尺寸：</translation>
    </message>
    <message>
        <source>Date:</source>
        <translation>日期：</translation>
    </message>
    <message>
        <source>Score:</source>
        <translation>相似度：</translation>
    </message>
    <message>
        <source>Tags:</source>
        <translation>标签：</translation>
    </message>
    <message>
        <source>Words:</source>
        <translation>文字：</translation>
    </message>
    <message>
        <source>Previous photo</source>
        <translation>上一张</translation>
    </message>
    <message>
        <source>Next photo</source>
        <translation>下一张</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适合窗口</translation>
    </message>
    <message>
        <source>Fit the photo in the window</source>
        <translation>让照片适合窗口大小</translation>
    </message>
    <message>
        <source>100 %</source>
        <translation>100 %</translation>
    </message>
    <message>
        <source>Actual size</source>
        <translation>实际大小</translation>
    </message>
    <message>
        <source>Full Window</source>
        <translation>全屏</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Show in Folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Find Similar</source>
        <translation>查找相似照片</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>← → other photos · F full window · Esc back to the results</source>
        <translation>← → 切换照片 · F 全屏 · Esc 返回结果</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>第 %1 张，共 %2 张</translation>
    </message>
    <message>
        <source>This picture cannot be shown.</source>
        <translation>无法显示此图片。</translation>
    </message>
</context>
<context>
    <name>QueryImageLabel</name>
    <message>
        <source>Drop a photo here</source>
        <translation>将照片拖到这里</translation>
    </message>
</context>
<context>
    <name>ResultsHeader</name>
    <message>
        <source>Order of the results (the search is not run again)</source>
        <translation>结果的排列顺序（不会重新搜索）</translation>
    </message>
    <message>
        <source>Best match</source>
        <translation>最匹配</translation>
    </message>
    <message>
        <source>Date taken</source>
        <translation>拍摄日期</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Stack similar</source>
        <translation>堆叠相似照片</translation>
    </message>
    <message>
        <source>Show copies and near-identical photos (bursts) as one tile; its “×N” badge opens the stack</source>
        <translation>把副本和几乎相同的照片（连拍）显示为一个图块；点击“×N”标记展开</translation>
    </message>
    <message>
        <source>Thumbnail size (Ctrl++, Ctrl+−; Ctrl+0: default)</source>
        <translation>缩略图大小（Ctrl++、Ctrl+−；Ctrl+0：默认）</translation>
    </message>
    <message>
        <source>Sort:</source>
        <translation>排序：</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>大小：</translation>
    </message>
    <message>
        <source>No photos</source>
        <translation>没有照片</translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n 张照片</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n in stacks</source>
        <translation>
            <numerusform>其中 %n 张在堆叠中</numerusform>
        </translation>
    </message>
    <message>
        <source>best match %1</source>
        <translation>最佳匹配 %1</translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message>
        <source>Confirmed by the check: yes %1</source>
        <translation>核对确认：是 %1</translation>
    </message>
    <message>
        <source>Rejected by the check: yes %1</source>
        <translation>核对否定：是 %1</translation>
    </message>
    <message>
        <source>Shows the words: %1</source>
        <translation>照片中有这些文字：%1</translation>
    </message>
    <message numerus="yes">
        <source>%n near-identical photo(s) in this stack</source>
        <translation>
            <numerusform>这一堆中有 %n 张几乎相同的照片</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ResultsView</name>
    <message>
        <source>Larger Thumbnails</source>
        <translation>放大缩略图</translation>
    </message>
    <message>
        <source>Smaller Thumbnails</source>
        <translation>缩小缩略图</translation>
    </message>
    <message>
        <source>Default Thumbnail Size</source>
        <translation>默认缩略图大小</translation>
    </message>
    <message>
        <source>Show Folders</source>
        <translation>显示文件夹</translation>
    </message>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Show each photo’s folder under its name</source>
        <translation>在每张照片的名称下显示其所在文件夹</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Open with System Viewer</source>
        <translation>用系统默认程序打开</translation>
    </message>
    <message>
        <source>Show in Folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Copy Path</source>
        <translation>复制路径</translation>
    </message>
    <message>
        <source>Copy Paths</source>
        <translation>复制路径</translation>
    </message>
    <message>
        <source>Copy Image</source>
        <translation>复制图片</translation>
    </message>
    <message>
        <source>Find Similar</source>
        <translation>查找相似照片</translation>
    </message>
    <message>
        <source>Stack Again</source>
        <translation>重新堆叠</translation>
    </message>
    <message numerus="yes">
        <source>Show All %n</source>
        <translation>
            <numerusform>显示全部 %n 张</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ScopeCombo</name>
    <message>
        <source>The whole library</source>
        <translation>整个图库</translation>
    </message>
    <message>
        <source>Choose a folder…</source>
        <translation>选择文件夹…</translation>
    </message>
    <message>
        <source>Tag the photos of a folder</source>
        <translation>为某个文件夹中的照片打标签</translation>
    </message>
</context>
<context>
    <name>SearchPanel</name>
    <message>
        <source>No text has been read in your photos yet: turn on “Read the text in photos” in Settings, and the next indexing reads it.</source>
        <translation>还没有识别过照片中的文字：在“设置”中打开“识别照片中的文字”，下次建立索引时就会识别。</translation>
    </message>
    <message>
        <source>No indexed model understands Chinese; searched with %1.</source>
        <translation>已建立索引的模型都不支持中文，已改用 %1 搜索。</translation>
    </message>
    <message>
        <source>No indexed model understands English; searched with %1.</source>
        <translation>已建立索引的模型都不支持英文，已改用 %1 搜索。</translation>
    </message>
    <message>
        <source>No photos match. Try other words, a lower threshold or fewer filters.</source>
        <translation>没有匹配的照片。请尝试换个说法、降低相似度阈值或减少筛选条件。</translation>
    </message>
    <message>
        <source>matches: %1</source>
        <translation>匹配：%1</translation>
    </message>
    <message>
        <source>No photo is indexed yet. They appear here as soon as indexing has done the first ones.</source>
        <translation>还没有照片建立索引。索引完成第一批后，照片就会出现在这里。</translation>
    </message>
    <message>
        <source>Nothing is indexed yet: add a photo folder (Ctrl+O) or drop one here.</source>
        <translation>尚未建立任何索引：请添加照片文件夹（Ctrl+O），或将文件夹拖到这里。</translation>
    </message>
    <message>
        <source>No model is ready: %1</source>
        <translation>没有可用的模型：%1</translation>
    </message>
    <message>
        <source>Loading the model %1… the search runs when it is ready.</source>
        <translation>正在加载模型 %1…加载完成后将自动开始搜索。</translation>
    </message>
    <message>
        <source>Use %1</source>
        <translation>改用 %1</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Automatic (GPU when there is one)</source>
        <translation>自动（有显卡时使用 GPU）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>GPU (CUDA)</source>
        <translation>GPU（CUDA）</translation>
    </message>
    <message>
        <source>Apple GPU (MPS)</source>
        <translation>Apple GPU（MPS）</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Photos the model looks at together. Larger is faster on a GPU with enough memory.</source>
        <translation>模型每次同时处理的照片数量。显存充足时，数值越大，GPU 上的速度越快。</translation>
    </message>
    <message>
        <source>Automatic (%1, one per core)</source>
        <translation>自动（%1 个，每个 CPU 核心一个）</translation>
    </message>
    <message>
        <source>Processes that read and decode photos while the model works. Fewer leave more of the computer free while indexing.</source>
        <translation>在模型计算的同时读取并解码照片的进程。数量越少，建立索引时电脑留出的空闲越多。</translation>
    </message>
    <message>
        <source>Decode JPEG photos on the GPU</source>
        <translation>在 GPU 上解码 JPEG 照片</translation>
    </message>
    <message>
        <source>When the model runs on an NVIDIA GPU, the GPU also decodes plain JPEG files; other files and those it cannot read are decoded by the processor.</source>
        <translation>模型在 NVIDIA GPU 上运行时，普通 JPEG 文件也由 GPU 解码；其他格式以及 GPU 无法读取的文件由处理器解码。</translation>
    </message>
    <message>
        <source>Read the text in photos (signs, receipts, screenshots) to search by it</source>
        <translation>识别照片中的文字（招牌、票据、截图），以便按文字搜索</translation>
    </message>
    <message>
        <source>Indexing also reads the Chinese and English text in each photo, once, on the processor (a fraction of a second per photo). Search for the words with “Words in photos” in text search.</source>
        <translation>建立索引时也用处理器识别每张照片中的中英文文字，每张只识别一次（每张不到一秒）。在文字搜索中用“照片中的文字”按文字查找。</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Device:</source>
        <translation>设备：</translation>
    </message>
    <message>
        <source>Batch size:</source>
        <translation>批处理大小：</translation>
    </message>
    <message>
        <source>Decode workers:</source>
        <translation>解码进程数：</translation>
    </message>
    <message>
        <source>Thumbnail size:</source>
        <translation>缩略图大小：</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>数据文件夹：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Device and language changes apply the next time clipdesk starts.</source>
        <translation>设备和语言的更改在重启 clipdesk 后生效。</translation>
    </message>
    <message>
        <source>The settings could not be saved: %1</source>
        <translation>无法保存设置：%1</translation>
    </message>
</context>
<context>
    <name>SkippedFilesDialog</name>
    <message>
        <source>Skipped files</source>
        <translation>已跳过的文件</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Copy list</source>
        <translation>复制列表</translation>
    </message>
    <message>
        <source>folder could not be read; what was indexed in it is kept</source>
        <translation>无法读取文件夹；其中已索引的内容会保留</translation>
    </message>
    <message>
        <source>unknown reason</source>
        <translation>原因未知</translation>
    </message>
    <message numerus="yes">
        <source>%n folder(s) could not be read (permissions, a failing disk); they are tried again at the next scan.</source>
        <translation>
            <numerusform>%n 个文件夹无法读取（权限不足或磁盘故障）；下次扫描时会重试。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) could not be read and were skipped. They are tried again when they change.</source>
        <translation>
            <numerusform>有 %n 个文件无法读取，已跳过。这些文件有变动时会重新尝试。</numerusform>
        </translation>
    </message>
    <message>
        <source>No files were skipped.</source>
        <translation>没有跳过任何文件。</translation>
    </message>
</context>
<context>
    <name>TagChanges</name>
    <message>
        <source>saving tags %1</source>
        <translation>保存标签 %1</translation>
    </message>
    <message>
        <source>renaming “%1” to “%2”</source>
        <translation>把“%1”重命名为“%2”</translation>
    </message>
    <message>
        <source>merging %1 into “%2”</source>
        <translation>把 %1 合并为“%2”</translation>
    </message>
    <message>
        <source>deleting %1</source>
        <translation>删除 %1</translation>
    </message>
</context>
<context>
    <name>TagCheckRow</name>
    <message>
        <source>Keep only tags a VLM confirms</source>
        <translation>只保留视觉语言模型确认的标签</translation>
    </message>
    <message>
        <source>A vision-language model looks at each photo a label would tag and answers whether it shows the label; the tags it rejects are not saved.</source>
        <translation>由视觉语言模型查看每张将被打上标签的照片，判断照片是否符合该标签；被它否定的标签不会保存。</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>核对</translation>
    </message>
</context>
<context>
    <name>TagManagerDialog</name>
    <message>
        <source>Manage tags</source>
        <translation>管理标签</translation>
    </message>
    <message>
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Yours</source>
        <translation>你设置的</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation>合并…</translation>
    </message>
    <message>
        <source>Make the selected tags one tag</source>
        <translation>把选中的标签合并为一个</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Show photos</source>
        <translation>显示照片</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>No photo has a tag yet.</source>
        <translation>还没有照片带有标签。</translation>
    </message>
    <message>
        <source>Undo %1</source>
        <translation>撤销%1</translation>
    </message>
    <message>
        <source>Nothing to undo</source>
        <translation>没有可撤销的操作</translation>
    </message>
    <message>
        <source>Rename tag</source>
        <translation>重命名标签</translation>
    </message>
    <message>
        <source>New name of the tag “%1”:</source>
        <translation>标签“%1”的新名称：</translation>
    </message>
    <message>
        <source>Merge tags</source>
        <translation>合并标签</translation>
    </message>
    <message>
        <source>Merge %1 into one tag named:</source>
        <translation>把 %1 合并为一个标签，名称：</translation>
    </message>
    <message>
        <source>Delete the tag “%1” from %2 photos (%3 tagged by you, %4 automatically)?</source>
        <translation>要从 %2 张照片上删除标签“%1”吗（%3 张由你设置，%4 张自动设置）？</translation>
    </message>
    <message>
        <source>Undo puts them back.</source>
        <translation>撤销可以恢复它们。</translation>
    </message>
    <message>
        <source>Delete tags</source>
        <translation>删除标签</translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>正在处理…</translation>
    </message>
    <message>
        <source>There is no tag change to undo.</source>
        <translation>没有可撤销的标签更改。</translation>
    </message>
    <message>
        <source>Undone: %1.</source>
        <translation>已撤销：%1。</translation>
    </message>
    <message>
        <source>Done: %1 (%2 photos). Undo puts it back.</source>
        <translation>已完成：%1（%2 张照片）。撤销可以恢复。</translation>
    </message>
</context>
<context>
    <name>TagModelCombo</name>
    <message>
        <source>Automatic (by language)</source>
        <translation>自动（按语言选择）</translation>
    </message>
    <message>
        <source>%1 (%2 photos)</source>
        <translation>%1（%2 张照片）</translation>
    </message>
    <message>
        <source>%1 + %2 (the one that reads the labels)</source>
        <translation>%1 + %2（使用理解标签语言的那个）</translation>
    </message>
</context>
<context>
    <name>TagRuleEditor</name>
    <message>
        <source>both conditions</source>
        <translation>同时满足两个条件</translation>
    </message>
    <message>
        <source>either condition</source>
        <translation>满足任一条件</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <source> tags per photo</source>
        <translation> 个标签（每张照片）</translation>
    </message>
    <message>
        <source>Probability at least:</source>
        <translation>概率不低于：</translation>
    </message>
    <message>
        <source>Cosine at least:</source>
        <translation>余弦相似度不低于：</translation>
    </message>
    <message>
        <source>Combine:</source>
        <translation>组合方式：</translation>
    </message>
    <message>
        <source>At most:</source>
        <translation>最多：</translation>
    </message>
    <message>
        <source>off</source>
        <translation>不限</translation>
    </message>
</context>
<context>
    <name>TagTable</name>
    <message>
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
</context>
<context>
    <name>TaggingPanel</name>
    <message>
        <source>Score photos</source>
        <translation>为照片打分</translation>
    </message>
    <message>
        <source>Save tags</source>
        <translation>保存标签</translation>
    </message>
    <message>
        <source>Replace the automatic tags of the scored photos; tags set by hand are kept</source>
        <translation>替换已打分照片的自动标签；手动设置的标签会保留</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Click a tag to see its photos.</source>
        <translation>点击标签查看对应照片。</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Photos:</source>
        <translation>照片：</translation>
    </message>
    <message>
        <source>When does a label become a tag?</source>
        <translation>标签何时生效？</translation>
    </message>
    <message>
        <source>Photos are scored with the vectors of this model; the same choice as in the search panels</source>
        <translation>用这个模型的向量为照片评分；与搜索面板共用同一个选择</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Nothing to undo</source>
        <translation>没有可撤销的操作</translation>
    </message>
    <message>
        <source>Scored with: %1, it reads %2</source>
        <translation>评分模型：%1，它理解%2</translation>
    </message>
    <message>
        <source>Scored with: %1</source>
        <translation>评分模型：%1</translation>
    </message>
    <message>
        <source>Use %1</source>
        <translation>改用 %1</translation>
    </message>
    <message>
        <source>Index with %1…</source>
        <translation>用 %1 建立索引…</translation>
    </message>
    <message>
        <source>Loading the model and encoding the labels…</source>
        <translation>正在加载模型并编码标签…</translation>
    </message>
    <message>
        <source>%1 photos scored; %2 have no vectors of this model yet.</source>
        <translation>已为 %1 张照片打分；%2 张照片还没有该模型的向量。</translation>
    </message>
    <message>
        <source>%1 photos scored.</source>
        <translation>已为 %1 张照片打分。</translation>
    </message>
    <message>
        <source>Write the labels first, one per line.</source>
        <translation>请先写好标签，每行一个。</translation>
    </message>
    <message>
        <source>A language model writes descriptions…</source>
        <translation>语言模型正在生成描述…</translation>
    </message>
    <message>
        <source>%1 descriptions written: keep, edit or delete them, then score again.</source>
        <translation>已生成 %1 条描述：可保留、修改或删除，然后重新评分。</translation>
    </message>
    <message>
        <source>A vision-language model checks the tags…</source>
        <translation>视觉语言模型正在核对标签…</translation>
    </message>
    <message>
        <source>It rejected %1 of %2 tags (%3 photos looked at, %4 s).</source>
        <translation>它否定了 %2 个标签中的 %1 个（查看了 %3 张照片，%4 秒）。</translation>
    </message>
    <message>
        <source>The rule changed: check again.</source>
        <translation>规则已更改：请重新核对。</translation>
    </message>
    <message>
        <source>Score photos to preview their tags.</source>
        <translation>先为照片打分，即可预览标签。</translation>
    </message>
    <message>
        <source>%1 of %2 photos get at least one tag.</source>
        <translation>%2 张照片中有 %1 张至少获得一个标签。</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>没有保存任何内容。</translation>
    </message>
    <message>
        <source>Tag %1 photos “%2”</source>
        <translation>为 %1 张照片加上“%2”</translation>
    </message>
    <message>
        <source>%1?</source>
        <comment>a list of &apos;Tag n photos “label”&apos; lines as one question</comment>
        <translation>%1？</translation>
    </message>
    <message>
        <source>,
</source>
        <translation>，
</translation>
    </message>
    <message>
        <source>No photo gets any of these tags under this rule. Save anyway?</source>
        <translation>按这个规则，没有照片会得到这些标签。仍要保存吗？</translation>
    </message>
    <message>
        <source>%1 photos are scored: their automatic tags of these labels are replaced.</source>
        <translation>已为 %1 张照片评分：它们这些标签的自动标签会被替换。</translation>
    </message>
    <message>
        <source>(%1 earlier automatic tags of these labels are replaced.)</source>
        <translation>（这些标签之前的 %1 个自动标签会被替换。）</translation>
    </message>
    <message>
        <source>Tags you set yourself are kept. Undo puts back what was there.</source>
        <translation>你自己设置的标签会保留。撤销可以恢复原来的标签。</translation>
    </message>
    <message>
        <source>Saving tags…</source>
        <translation>正在保存标签…</translation>
    </message>
    <message>
        <source>Undoing…</source>
        <translation>正在撤销…</translation>
    </message>
    <message>
        <source>There is no tag change to undo.</source>
        <translation>没有可撤销的标签更改。</translation>
    </message>
    <message>
        <source>Undone: %1. The tags of %2 photos are as they were before.</source>
        <translation>已撤销：%1。%2 张照片的标签已恢复原样。</translation>
    </message>
    <message>
        <source>Cancelled: the tags of %1 photos were saved.</source>
        <translation>已取消：%1 张照片的标签已保存。</translation>
    </message>
    <message>
        <source>Tags saved for %1 photos.</source>
        <translation>已保存 %1 张照片的标签。</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Undo %1</source>
        <translation>撤销%1</translation>
    </message>
    <message>
        <source>Preview: %1 photos would be tagged “%2”</source>
        <translation>预览：%1 张照片将被标为“%2”</translation>
    </message>
    <message>
        <source>%1 photos tagged “%2”</source>
        <translation>%1 张照片标为“%2”</translation>
    </message>
    <message>
        <source>No photo has this tag.</source>
        <translation>没有照片带有此标签。</translation>
    </message>
    <message>
        <source>Export tags</source>
        <translation>导出标签</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>%1 tags exported.</source>
        <translation>已导出 %1 个标签。</translation>
    </message>
</context>
<context>
    <name>TemplateChooser</name>
    <message>
        <source>Automatic (by the labels&apos; language)</source>
        <translation>自动（按标签的语言）</translation>
    </message>
    <message>
        <source>Custom templates</source>
        <translation>自定义模板</translation>
    </message>
    <message>
        <source>One template per line, {} marks the label</source>
        <translation>每行一个模板，{} 表示标签所在位置</translation>
    </message>
    <message>
        <source>Each template is a sentence with {} where the label goes, e.g. a photo of a {}.</source>
        <translation>每个模板是一句话，用 {} 表示标签的位置，例如：一张{}的照片。</translation>
    </message>
    <message>
        <source>English labels:</source>
        <translation>英文标签：</translation>
    </message>
    <message>
        <source>Chinese labels:</source>
        <translation>中文标签：</translation>
    </message>
</context>
<context>
    <name>TextSearchPanel</name>
    <message>
        <source>Describe the photo: 海边的日落, a dog on a beach, …</source>
        <translation>描述您要找的照片：海边的日落、沙滩上的狗、a dog on a beach…</translation>
    </message>
    <message>
        <source>Leave things out with a minus sign: beach -people -&quot;red car&quot;</source>
        <translation>用减号排除不想要的内容：海滩 -人群 -&quot;红色汽车&quot;</translation>
    </message>
    <message>
        <source>Not looked for</source>
        <translation>不查找</translation>
    </message>
    <message>
        <source>Also find photos showing them</source>
        <translation>同时查找含有这些文字的照片</translation>
    </message>
    <message>
        <source>Only photos showing them</source>
        <translation>只显示含有这些文字的照片</translation>
    </message>
    <message>
        <source>Look for the words in the text read in the photos (signs, receipts, screenshots). &quot;Quoted words&quot; must appear exactly.</source>
        <translation>在照片中识别出的文字（招牌、票据、截图）里查找这些词。&quot;加引号的词&quot;必须完全一致。</translation>
    </message>
    <message>
        <source>Words in photos:</source>
        <translation>照片中的文字：</translation>
    </message>
    <message>
        <source>Type what you are looking for, in Chinese or English.</source>
        <translation>用中文或英文输入您要找的内容。</translation>
    </message>
</context>
<context>
    <name>ThresholdBar</name>
    <message>
        <source>Show only photos at least this similar (leftmost: no limit)</source>
        <translation>只显示相似度不低于此值的照片（拖到最左侧为不限）</translation>
    </message>
    <message>
        <source>The most results to show</source>
        <translation>最多显示多少个结果</translation>
    </message>
    <message>
        <source>Probability at least:</source>
        <translation>概率不低于：</translation>
    </message>
    <message>
        <source>This model (SigLIP) scores each photo with its own probability that the photo shows the words: 0.5 is as likely as not.</source>
        <translation>此模型（SigLIP）为每张照片给出它自己的概率，表示照片与文字相符的可能性：0.5 表示一半一半。</translation>
    </message>
    <message>
        <source>Similarity at least:</source>
        <translation>相似度阈值：</translation>
    </message>
    <message>
        <source>Show up to:</source>
        <translation>最多显示：</translation>
    </message>
    <message>
        <source>The cosine similarity of the photo with the words: only its order matters, and each model has its own range.</source>
        <translation>照片与文字的余弦相似度：只有排序有意义，每个模型的取值范围各不相同。</translation>
    </message>
    <message>
        <source>off</source>
        <translation>不限</translation>
    </message>
</context>
<context>
    <name>VlmPicker</name>
    <message>
        <source>%1 (%2 MB to download)</source>
        <translation>%1（需下载 %2 MB）</translation>
    </message>
    <message>
        <source>A model folder…</source>
        <translation>模型文件夹…</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
</context>
<context>
    <name>ZeroShotView</name>
    <message>
        <source>Rows: true label; columns: predicted label</source>
        <translation>行：真实标签；列：预测标签</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Confusion matrix (rows: true, columns: predicted)</source>
        <translation>混淆矩阵（行：真实，列：预测）</translation>
    </message>
    <message>
        <source>Accuracy: %1 % of %2 images</source>
        <translation>准确率：%1 %（共 %2 张图片）</translation>
    </message>
    <message>
        <source>%1 with several labels left out</source>
        <translation>%1 张多标签图片未计入</translation>
    </message>
</context>
<context>
    <name>clipdesk</name>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Apple GPU</source>
        <translation>Apple GPU</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>clipdesk</source>
        <translation>clipdesk</translation>
    </message>
    <message>
        <source>Something went wrong. The details were written to the log file.</source>
        <extracomment>progress reports of one stage closer together than this are dropped (seconds)</extracomment>
        <translation>出现错误。详细信息已写入日志文件。</translation>
    </message>
    <message>
        <source>clipdesk could not start: %1</source>
        <translation>clipdesk 无法启动：%1</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>Paused at %1 of %2</source>
        <translation>已暂停：%1 / %2</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Waiting for another clipdesk (process %1) to finish writing to the library…</source>
        <translation>正在等待另一个 clipdesk（进程 %1）写完图库…</translation>
    </message>
    <message>
        <source>Waiting for the job before it to finish…</source>
        <translation>正在等待前一个任务完成…</translation>
    </message>
    <message>
        <source>Looking for photos… %1 found</source>
        <translation>正在查找照片… 已找到 %1 张</translation>
    </message>
    <message>
        <source>Checking changed files: %1 of %2</source>
        <translation>正在检查有变动的文件：%1 / %2</translation>
    </message>
    <message>
        <source>Indexing %1 of %2</source>
        <translation>正在索引 %1 / %2</translation>
    </message>
    <message>
        <source>%1 photos/s</source>
        <translation>%1 张/秒</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>剩余约 %1</translation>
    </message>
    <message>
        <source>Reading the text in photos: %1 of %2</source>
        <translation>正在识别照片中的文字：%1 / %2</translation>
    </message>
    <message>
        <source>Saving the search index…</source>
        <translation>正在保存搜索索引…</translation>
    </message>
    <message>
        <source>Downloading the model… %1%</source>
        <translation>正在下载模型… %1%</translation>
    </message>
    <message>
        <source>A vision-language model looks at %1 of %2…</source>
        <translation>视觉语言模型正在查看第 %1 张，共 %2 张…</translation>
    </message>
    <message>
        <source>Writing descriptions: %1 of %2 labels</source>
        <translation>正在生成描述：第 %1 个标签，共 %2 个</translation>
    </message>
    <message>
        <source>Comparing photos: %1 of %2</source>
        <translation>正在比较照片：%1 / %2</translation>
    </message>
    <message>
        <source>Moving photos to the trash: %1 of %2</source>
        <translation>正在把照片移到回收站：%1 / %2</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Show in Folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>No file manager could be opened to show this folder; its path is copied to the clipboard: %1</source>
        <translation>无法打开文件管理器来显示这个文件夹；它的路径已复制到剪贴板：%1</translation>
    </message>
</context>
</TS>
